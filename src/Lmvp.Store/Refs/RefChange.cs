namespace Lmvp.Store;

/// <summary>What a ref mutation moved: the ref, what it held before and what it holds now.</summary>
/// <param name="Name">The full ref name.</param>
/// <param name="Old">The commit it held before, or null when it did not exist.</param>
/// <param name="New">The commit it holds now, or null when it was deleted.</param>
public sealed record RefChange(RefName Name, ObjectId? Old, ObjectId? New)
{
    /// <summary>True when the ref now holds something else than before.</summary>
    public bool Moved => Old != New;
}
