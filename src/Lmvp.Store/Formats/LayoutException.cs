namespace Lmvp.Store.Formats;

/// <summary>A model file's header is not what its format requires; the file is then chunked as plain bytes.</summary>
internal sealed class LayoutException(string message) : Exception(message);
