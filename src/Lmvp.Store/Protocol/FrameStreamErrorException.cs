using System.Text.Json;

namespace Lmvp.Store.Protocol;

/// <summary>The sender of a frame stream stopped it with an error frame: it cannot send the rest (its copy of <see cref="Id"/> is
/// damaged), which is not a broken connection and asking again gets the same answer.</summary>
public sealed class FrameStreamErrorException : LmvpException
{
    /// <summary>Creates the exception.</summary>
    public FrameStreamErrorException(string message) : base(message) { }

    /// <summary>Creates the exception.</summary>
    public FrameStreamErrorException(string message, Exception innerException) : base(message, innerException) { }

    /// <summary>Creates the exception.</summary>
    public FrameStreamErrorException() { }

    /// <summary>Creates the exception for an error frame about <paramref name="id"/>.</summary>
    public FrameStreamErrorException(ObjectId id, string message, string? code) : base(message)
    {
        Id = id;
        Code = code;
    }

    /// <summary>The object the error is about, or <see cref="ObjectId.Zero"/>.</summary>
    public ObjectId Id { get; }

    /// <summary>The error's code (<see cref="ApiErrorCodes"/>), or null.</summary>
    public string? Code { get; }

    internal static FrameStreamErrorException Read(ObjectId id, byte[] data)
    {
        try
        {
            if (JsonSerializer.Deserialize(data, ProtocolJsonContext.Default.ApiError) is { Error.Length: > 0 } error)
            {
                return new FrameStreamErrorException(id, error.Error.Split('\n', 2)[0], error.Code);
            }
        }
        catch (JsonException)
        {
        }

        return new FrameStreamErrorException(id, "the sender stopped the stream with an error it did not explain", null);
    }
}
