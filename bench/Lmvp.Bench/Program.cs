Console.WriteLine("lmvp benchmarks: not written yet");
