namespace Lmvp.Store;

/// <summary>What a content-addressed object is; the numbers are the ones pack entries and sync frames carry.</summary>
public enum ObjectKind : byte
{
    /// <summary>Chunk bytes of a file; its id is the BLAKE3 of the bytes.</summary>
    Chunk = 1,

    /// <summary>An encoded tree.</summary>
    Tree = 2,

    /// <summary>An encoded commit.</summary>
    Commit = 3,

    /// <summary>An encoded file manifest, stored under the file id.</summary>
    Manifest = 4,
}
