using Xunit;

// Tests set torch.manual_seed (process-wide) and time whole training steps on 2 cores: run them one at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
