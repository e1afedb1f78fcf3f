using System.Text;
using Lmvp.Cli;

using var cancellation = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cancellation.Cancel();
};

// Console.Out flushes on every write: 10,000 log lines cost 10,000 system calls. Buffer, and flush at the end.
var output = new StreamWriter(Console.OpenStandardOutput(), new UTF8Encoding(encoderShouldEmitUTF8Identifier: false), 1 << 16) { AutoFlush = false };
try
{
    return await LmvpCommandLine.RunAsync(
        args,
        new CliContext(output, Console.Error, Environment.CurrentDirectory, ErrorIsTerminal: !Console.IsErrorRedirected),
        cancellation.Token);
}
finally
{
    try
    {
        await output.FlushAsync(CancellationToken.None);
    }
    catch (IOException)
    {
        // stdout closed early (lmvp log | head): nothing left to tell it.
    }
}
