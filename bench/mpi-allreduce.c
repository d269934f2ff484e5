/* All-reduce bandwidth between the ranks of an MPI job (docs/distributed.md, "Scaling model"):
 *   mpicc -O2 -o /tmp/mpi-allreduce bench/mpi-allreduce.c
 *   mpirun -np 2 --mca btl tcp,self /tmp/mpi-allreduce 1750000 20
 * Sums a float buffer of N elements in place R times (after 3 untimed) and prints the median time and the
 * bus bandwidth 2(n−1)/n · bytes / time that the ring all-reduce model uses. */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>

static int cmp(const void *a, const void *b) { double d = *(const double *)a - *(const double *)b; return (d > 0) - (d < 0); }

int main(int argc, char **argv) {
    MPI_Init(&argc, &argv);
    int rank, size;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    long n = argc > 1 ? atol(argv[1]) : 1750000;
    int repeats = argc > 2 ? atoi(argv[2]) : 20;
    float *buffer = malloc(n * sizeof(float));
    double *times = malloc(repeats * sizeof(double));
    for (long i = 0; i < n; i++) buffer[i] = 1.0f;
    for (int r = -3; r < repeats; r++) {
        MPI_Barrier(MPI_COMM_WORLD);
        double start = MPI_Wtime();
        MPI_Allreduce(MPI_IN_PLACE, buffer, (int)n, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
        if (r >= 0) times[r] = MPI_Wtime() - start;
    }
    qsort(times, repeats, sizeof(double), cmp);
    double median = times[repeats / 2], bytes = (double)n * sizeof(float);
    if (rank == 0)
        printf("ranks %d  floats %ld (%.1f MB)  median %.2f ms  min %.2f ms  bus bandwidth %.2f Gbit/s\n", size, n, bytes / 1e6,
               median * 1e3, times[0] * 1e3, 2.0 * (size - 1) / size * bytes * 8 / median / 1e9);
    MPI_Finalize();
    return 0;
}
