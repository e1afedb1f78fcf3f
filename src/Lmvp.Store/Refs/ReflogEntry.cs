namespace Lmvp.Store;

/// <summary>One move of a ref recorded in the reflog.</summary>
/// <param name="Ref">The full ref name (refs/heads/main), or HEAD.</param>
/// <param name="Old">What it pointed at before, or null when it did not exist.</param>
/// <param name="New">What it points at after, or null when it was deleted.</param>
/// <param name="Time">When.</param>
/// <param name="Message">What moved it: "commit: epoch 3", "checkout: moving from main to exp", "branch: deleted".</param>
public sealed record ReflogEntry(string Ref, ObjectId? Old, ObjectId? New, DateTimeOffset Time, string Message);
