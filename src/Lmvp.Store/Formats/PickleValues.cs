namespace Lmvp.Store.Formats;

/// <summary>A value a pickle built, as data: nothing is ever imported, constructed or called.</summary>
internal abstract class PickleValue;

internal sealed class PickleScalar(object? value) : PickleValue
{
    public object? Value { get; } = value;
}

internal sealed class PickleTuple(PickleValue[] items) : PickleValue
{
    public PickleValue[] Items { get; } = items;
}

internal sealed class PickleList : PickleValue
{
    public List<PickleValue> Items { get; } = [];
}

internal sealed class PickleDict : PickleValue
{
    public List<KeyValuePair<PickleValue, PickleValue>> Items { get; } = [];
}

/// <summary>A name a GLOBAL opcode refers to: only compared against the few torch uses, never resolved.</summary>
internal sealed class PickleGlobal(string module, string name) : PickleValue
{
    public string Module { get; } = module;

    public string Name { get; } = name;

    public bool Is(string module, string name) => Module == module && Name == name;
}

/// <summary>What a REDUCE or NEWOBJ would have called, recorded instead of called.</summary>
internal sealed class PickleCall(PickleValue callable, PickleValue arguments) : PickleValue
{
    public PickleValue Callable { get; } = callable;

    public PickleValue Arguments { get; } = arguments;
}

/// <summary>A persistent id (torch's reference to a storage entry of the zip).</summary>
internal sealed class PicklePersistent(PickleValue id) : PickleValue
{
    public PickleValue Id { get; } = id;
}

/// <summary>A value torch headers never need (bytes, sets), skipped without keeping its contents; named by what it was.</summary>
internal sealed class Opaque(string what) : PickleValue
{
    public string What { get; } = what;
}
