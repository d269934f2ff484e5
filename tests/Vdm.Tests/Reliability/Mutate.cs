using System.Buffers.Binary;
using CsCheck;

namespace Vdm.Tests.Reliability;

/// <summary>Generators of hostile inputs: random bytes, and valid files with flipped bits, truncations, insertions,
/// deletions, appended junk and header integers replaced by boundary values.</summary>
internal static class Mutate
{
    private static readonly int[] Boundary = [0, 1, -1, 2, 255, 256, 3072, 3073, 65535, int.MaxValue, int.MinValue, 0x00000803, 0x00000801, 1 << 20, 1 << 30];

    /// <summary>One mutation of <paramref name="valid"/> (its header is the first <paramref name="headerLength"/> bytes, where
    /// integers are replaced more often).</summary>
    public static Gen<byte[]> Of(byte[] valid, int headerLength = 16) => Gen.Frequency(
        (4, FlipBits(valid)),
        (2, Truncate(valid)),
        (3, ReplaceInt(valid, headerLength)),
        (1, Insert(valid)),
        (1, Delete(valid)),
        (1, Append(valid)),
        (1, Gen.Byte.Array[0, Math.Min(valid.Length * 2, 8192)]),
        (1, KeepPrefix(valid, Math.Min(headerLength, valid.Length))));

    /// <summary>Several mutations in a row.</summary>
    public static Gen<byte[]> Many(byte[] valid, int headerLength = 16) =>
        Of(valid, headerLength).SelectMany(first => Gen.Int[0, 2].SelectMany(more => more == 0 ? Gen.Const(first) : Of(first, headerLength)));

    private static Gen<byte[]> FlipBits(byte[] valid) =>
        Gen.Select(Gen.Int[0, Math.Max(0, valid.Length - 1)].Array[1, 8], Gen.Int[0, 7].Array[8], (positions, bits) =>
        {
            var copy = (byte[])valid.Clone();
            if (copy.Length == 0) return copy;
            for (int i = 0; i < positions.Length; i++) copy[positions[i]] ^= (byte)(1 << bits[i]);
            return copy;
        });

    private static Gen<byte[]> Truncate(byte[] valid) => Gen.Int[0, Math.Max(0, valid.Length - 1)].Select(n => valid[..n]);

    private static Gen<byte[]> ReplaceInt(byte[] valid, int headerLength) =>
        Gen.Select(Gen.Int[0, Math.Max(0, Math.Min(headerLength, valid.Length) - 4)], Gen.Frequency((3, Gen.OneOf(Boundary)), (1, Gen.Int)), Gen.Bool,
            (offset, value, bigEndian) =>
            {
                var copy = (byte[])valid.Clone();
                if (copy.Length < offset + 4) return copy;
                if (bigEndian) BinaryPrimitives.WriteInt32BigEndian(copy.AsSpan(offset), value);
                else BinaryPrimitives.WriteInt32LittleEndian(copy.AsSpan(offset), value);
                return copy;
            });

    private static Gen<byte[]> Insert(byte[] valid) =>
        Gen.Select(Gen.Int[0, valid.Length], Gen.Byte.Array[1, 64], (at, bytes) => (byte[])[.. valid.AsSpan(0, at), .. bytes, .. valid.AsSpan(at)]);

    private static Gen<byte[]> Delete(byte[] valid) =>
        Gen.Select(Gen.Int[0, valid.Length], Gen.Int[1, 64], (at, n) => (byte[])[.. valid.AsSpan(0, at), .. valid.AsSpan(Math.Min(valid.Length, at + n))]);

    private static Gen<byte[]> Append(byte[] valid) => Gen.Byte.Array[1, 4096].Select(junk => (byte[])[.. valid, .. junk]);

    private static Gen<byte[]> KeepPrefix(byte[] valid, int prefix) =>
        Gen.Byte.Array[0, 4096].Select(rest => (byte[])[.. valid.AsSpan(0, prefix), .. rest]);
}
