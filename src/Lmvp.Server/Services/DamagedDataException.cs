using Lmvp.Store;

namespace Lmvp.Server.Services;

/// <summary>The server's stored copy of a chunk or object is damaged (its bytes do not hash to its id, do not decode, or its pack is
/// gone): asking again gets the same answer, so clients are told so and do not retry.</summary>
internal sealed class DamagedDataException : Exception
{
    public DamagedDataException(string message) : base(message) { }

    public DamagedDataException() { }

    public DamagedDataException(string message, Exception innerException) : base(message, innerException) { }

    public DamagedDataException(ObjectKind kind, ObjectId id, string message, Exception? innerException = null) : base(message, innerException)
    {
        Kind = kind;
        Id = id;
    }

    /// <summary>What is damaged.</summary>
    public ObjectKind Kind { get; }

    /// <summary>Its id.</summary>
    public ObjectId Id { get; }

    /// <summary>The one line a client is told: "the server's copy of chunk X is damaged (...)".</summary>
    public static DamagedDataException Chunk(ObjectId id, string pack, long offset, string problem, Exception? innerException = null) =>
        new(ObjectKind.Chunk, id, $"the server's copy of chunk {id} is damaged ({pack} at offset {offset}: {problem})", innerException);
}
