using Lmvp.Cli;

using var cancellation = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cancellation.Cancel();
};

return await LmvpCommandLine.RunAsync(
    args,
    new CliContext(Console.Out, Console.Error, Environment.CurrentDirectory, ErrorIsTerminal: !Console.IsErrorRedirected),
    cancellation.Token);
