using Lmvp.Bench;

// The LMVP benchmark. The parent process runs each scenario in a child process of its own (this same program
// with --child NAME), so each scenario's peak memory and JIT state are its own, then prints and saves the table.
BenchOptions options;
try
{
    options = BenchOptions.Parse(args);
}
catch (UsageException e)
{
    Console.Error.WriteLine($"error: {e.Message}");
    Console.Error.WriteLine(BenchOptions.Usage);
    return 2;
}

if (options.Help)
{
    Console.WriteLine(BenchOptions.Usage);
    return 0;
}

return options.Child is { } child ? Bench.RunChild(options, child) : Bench.RunParent(options, args);
