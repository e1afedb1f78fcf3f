using Lmvp.Server;

// Not disposed: ProcessExit can fire after Main has returned, and cancelling a disposed source throws.
var stop = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    stop.Cancel();
};
AppDomain.CurrentDomain.ProcessExit += (_, _) => stop.Cancel();
return await ServerCommandLine.RunAsync(args, Console.Out, Console.Error, Console.In, stop.Token);
