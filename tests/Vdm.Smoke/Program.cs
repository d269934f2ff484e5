using static TorchSharp.torch;

// Loads libtorch through TorchSharp, runs a matrix product and an autograd step, prints the results.
var a = tensor(new float[] { 1, 2, 3, 4 }).reshape(2, 2).requires_grad_(true);
var y = a.matmul(a).sum();
y.backward();
Console.WriteLine($"sum={y.item<float>()} grad={string.Join(",", a.grad!.data<float>().ToArray())}");
