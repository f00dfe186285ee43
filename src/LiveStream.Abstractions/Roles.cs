namespace LiveStream.Abstractions;

public static class Roles
{
    public const string Mentor = "mentor";
    public const string Mentee = "mentee";

    public static bool IsKnown(string? role) => role is Mentor or Mentee;
}
