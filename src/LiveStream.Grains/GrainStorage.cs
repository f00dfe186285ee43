namespace LiveStream.Grains;

/// <summary>Names shared by the grains and the silo's storage registration.</summary>
public static class GrainStorage
{
    /// <summary>The ADO.NET (PostgreSQL) grain storage every LiveStream grain persists to.</summary>
    public const string Name = "livestream";
}
