using System.Security.Claims;
using LiveStream.Abstractions;

namespace LiveStream.Host.Auth;

/// <summary>Who is calling, read from the validated token.</summary>
public static class CurrentUser
{
    public static string? Id(this ClaimsPrincipal user) => user.FindFirst("sub")?.Value;

    public static bool IsMentor(this ClaimsPrincipal user) => user.IsInRole(Roles.Mentor);

    public static bool IsMentee(this ClaimsPrincipal user) => user.IsInRole(Roles.Mentee);

    /// <summary>True when the caller is the mentor <paramref name="mentorId"/> acting on their own resources.</summary>
    public static bool IsMentor(this ClaimsPrincipal user, string mentorId) => user.IsMentor() && user.Id() == mentorId;

    public static bool IsMentee(this ClaimsPrincipal user, string menteeId) => user.IsMentee() && user.Id() == menteeId;
}
