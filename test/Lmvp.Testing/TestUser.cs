namespace Lmvp.Testing;

/// <summary>A user made by <see cref="TestServer.CreateUserAsync"/>: its password and a personal access token per scope.</summary>
public sealed record TestUser(string Name, string Password, string ReadToken, string WriteToken, string AdminToken);
