namespace LiveStream.Infrastructure.Notifications;

/// <summary>Which push provider delivers notifications to devices.</summary>
public enum PushProviderKind
{
    /// <summary>The local inbox only: a push is a recorded delivery row, readable through the API (the default).</summary>
    Inbox,

    /// <summary>SNS mobile push: one platform endpoint per registered device.</summary>
    Sns,
}

/// <summary>Push settings, bound from <c>Notifications:Push</c>.</summary>
public sealed class PushOptions
{
    public const string Section = "Notifications:Push";

    public PushProviderKind Provider { get; set; } = PushProviderKind.Inbox;

    public SnsPushOptions Sns { get; set; } = new();

    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (!Enum.IsDefined(Provider))
        {
            errors.Add($"{Section}:{nameof(Provider)} must be Inbox or Sns.");
        }

        if (Provider == PushProviderKind.Sns)
        {
            if (!IsArn(Sns.ApnsApplicationArn) || !IsArn(Sns.FcmApplicationArn))
            {
                errors.Add($"{Section}:Sns:ApnsApplicationArn and {Section}:Sns:FcmApplicationArn must be SNS platform application ARNs (arn:aws:sns:...) when the provider is Sns.");
            }
        }

        return errors;
    }

    private static bool IsArn(string? value) => value is not null && value.StartsWith("arn:", StringComparison.Ordinal);
}

/// <summary>SNS platform applications, one per push platform; operators create them once per app.</summary>
public sealed class SnsPushOptions
{
    /// <summary>Platform application for <c>apns</c> devices (APNS or APNS_SANDBOX).</summary>
    public string? ApnsApplicationArn { get; set; }

    /// <summary>Platform application for <c>fcm</c> devices (GCM).</summary>
    public string? FcmApplicationArn { get; set; }
}
