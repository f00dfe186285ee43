using System.Net;
using LiveStream.Testing;

namespace LiveStream.Host.Tests.Api;

/// <summary>
/// DESIGN §3: 401 without a valid token, 403 for a valid token that may not do this. Every route is checked against
/// its matrix entry by <see cref="AuthorizationMatrixTests"/>; these add the token forgeries and that refusals change nothing.
/// </summary>
[Collection(ApiCollection.Name)]
public sealed class AuthorizationTests(ApiFixture fixture)
{
    private const string ProfileJson = """{"displayName":"Intruder","bio":"Not me"}""";
    private const string CourseJson = """{"title":"Hijacked course"}""";
    private const string MenteeJson = """{"displayName":"Intruder"}""";
    private const string DeviceJson = """{"platform":"fcm","token":"intruder-token"}""";

    /// <summary>What a mentee can do to their own resources; another user must get 403 for each.</summary>
    public static TheoryData<string, string, string?> MenteeOperations => new()
    {
        { "PUT", "", MenteeJson },
        { "GET", "", null },
        { "PUT", "/following/{mentor}", null },
        { "DELETE", "/following/{mentor}", null },
        { "PUT", "/devices/phone-2", DeviceJson },
    };

    public static TheoryData<string> InvalidTokenKinds => new()
    {
        "expired",
        "signed-with-another-key",
        "wrong-issuer",
        "wrong-audience",
        "unsigned",
        "tampered-signature",
        "altered-payload",
        "not-a-jwt",
    };

    [Fact]
    public async Task A_crafted_token_with_the_dev_key_issuer_and_audience_is_accepted()
    {
        // Arrange: the control for the invalid-token cases, which each change exactly one thing of this token.
        using var api = fixture.CreateClient();
        var mentorId = Ids.New("mentor");
        var token = TestTokens.Create(fixture.SigningKey, mentorId, "mentor");

        // Act
        using var response = await api.SendRawAsync(HttpMethod.Put, $"/mentor/{mentorId}", ProfileJson, token);

        // Assert
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Theory]
    [MemberData(nameof(InvalidTokenKinds))]
    public async Task Invalid_tokens_answer_401_and_change_nothing(string kind)
    {
        // Arrange
        using var api = fixture.CreateClient();
        var victimId = Ids.New("mentor");
        var victimToken = await api.CreateMentorAsync(victimId, "engines");
        var before = await api.ReadAsync($"/mentor/{victimId}", victimToken);
        var token = await InvalidTokenAsync(api, kind, victimId);

        // Act
        using var response = await api.SendRawAsync(HttpMethod.Put, $"/mentor/{victimId}", ProfileJson, token);

        // Assert
        await ApiClient.AssertProblemAsync(response, HttpStatusCode.Unauthorized);
        Assert.Contains(response.Headers.WwwAuthenticate, header => header.Scheme == "Bearer");
        Assert.Equal(before, await api.ReadAsync($"/mentor/{victimId}", victimToken));
    }

    [Theory]
    [InlineData("Basic bWVudG9yOnNlY3JldA==")]
    [InlineData("Bearer")]
    [InlineData("Bearer  ")]
    [InlineData("eyJhbGciOiJIUzI1NiJ9")]
    public async Task Malformed_authorization_headers_answer_401(string header)
    {
        // Arrange
        using var api = fixture.CreateClient();
        var mentorId = Ids.New("mentor");

        // Act
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/mentor/{mentorId}/live");
        request.Headers.TryAddWithoutValidation("Authorization", header);
        using var response = await api.Http.SendAsync(request);

        // Assert
        await ApiClient.AssertProblemAsync(response, HttpStatusCode.Unauthorized);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Scheduling_as_a_mentee_is_forbidden(bool menteeHasTheMentorsId)
    {
        // Arrange
        using var api = fixture.CreateClient();
        var mentorId = Ids.New("mentor");
        var mentorToken = await api.CreateMentorAsync(mentorId, "engines");
        var menteeToken = await api.TokenAsync(menteeHasTheMentorsId ? mentorId : Ids.New("mentee"), "mentee");
        var before = await api.ReadAsync($"/mentor/{mentorId}/live", mentorToken);

        // Act
        using var response = await api.SendAsync(HttpMethod.Post, "/livestream/", ValidSchedule(mentorId), menteeToken);

        // Assert
        await ApiClient.AssertProblemAsync(response, HttpStatusCode.Forbidden);
        Assert.Equal(before, await api.ReadAsync($"/mentor/{mentorId}/live", mentorToken));
    }

    [Fact]
    public async Task A_mentor_cannot_edit_another_mentors_profile()
    {
        // Arrange
        using var api = fixture.CreateClient();
        var mentorA = Ids.New("mentor-a");
        var tokenA = await api.CreateMentorAsync(mentorA, "engines");
        var mentorB = Ids.New("mentor-b");
        var tokenB = await api.CreateMentorAsync(mentorB, "engines", "Charles Babbage");
        var before = await api.ReadAsync($"/mentor/{mentorB}", tokenB);

        // Act
        using var response = await api.SendRawAsync(HttpMethod.Put, $"/mentor/{mentorB}", ProfileJson, tokenA);

        // Assert
        await ApiClient.AssertProblemAsync(response, HttpStatusCode.Forbidden);
        Assert.Equal(before, await api.ReadAsync($"/mentor/{mentorB}", tokenB));
    }

    [Theory]
    [InlineData("engines")]
    [InlineData("brand-new-course")]
    public async Task A_mentor_cannot_create_or_edit_another_mentors_course(string courseId)
    {
        // Arrange
        using var api = fixture.CreateClient();
        var mentorA = Ids.New("mentor-a");
        var tokenA = await api.CreateMentorAsync(mentorA, "engines");
        var mentorB = Ids.New("mentor-b");
        var tokenB = await api.CreateMentorAsync(mentorB, "engines");
        var before = await api.ReadAsync($"/mentor/{mentorB}", tokenB);

        // Act
        using var response = await api.SendRawAsync(HttpMethod.Put, $"/mentor/{mentorB}/courses/{courseId}", CourseJson, tokenA);

        // Assert
        await ApiClient.AssertProblemAsync(response, HttpStatusCode.Forbidden);
        Assert.Equal(before, await api.ReadAsync($"/mentor/{mentorB}", tokenB));
    }

    [Fact]
    public async Task A_mentor_cannot_schedule_for_another_mentor()
    {
        // Arrange
        using var api = fixture.CreateClient();
        var mentorA = Ids.New("mentor-a");
        var tokenA = await api.CreateMentorAsync(mentorA, "engines");
        var mentorB = Ids.New("mentor-b");
        var tokenB = await api.CreateMentorAsync(mentorB, "engines");
        var beforeA = await api.ReadAsync($"/mentor/{mentorA}/live", tokenA);
        var beforeB = await api.ReadAsync($"/mentor/{mentorB}/live", tokenB);

        // Act
        using var response = await api.SendAsync(HttpMethod.Post, "/livestream/", ValidSchedule(mentorB), tokenA);

        // Assert
        await ApiClient.AssertProblemAsync(response, HttpStatusCode.Forbidden);
        Assert.Equal(beforeA, await api.ReadAsync($"/mentor/{mentorA}/live", tokenA));
        Assert.Equal(beforeB, await api.ReadAsync($"/mentor/{mentorB}/live", tokenB));
    }

    [Theory]
    [InlineData("another-mentor")]
    [InlineData("a-mentee")]
    [InlineData("a-mentee-with-the-owners-id")]
    public async Task Only_the_owning_mentor_can_cancel_a_session(string caller)
    {
        // Arrange
        using var api = fixture.CreateClient();
        var ownerId = Ids.New("mentor-b");
        var ownerToken = await api.CreateMentorAsync(ownerId, "engines");
        var liveId = await api.ScheduleAsync(ownerId, "engines", ownerToken);
        var callerToken = caller switch
        {
            "another-mentor" => await api.CreateMentorAsync(Ids.New("mentor-a"), "engines"),
            "a-mentee" => await api.CreateMenteeAsync(Ids.New("mentee")),
            _ => await api.TokenAsync(ownerId, "mentee"),
        };
        var before = await api.ReadAsync($"/mentor/{ownerId}/live/{liveId}", ownerToken);

        // Act
        using var response = await api.SendAsync(HttpMethod.Delete, $"/livestream/{liveId}", token: callerToken);

        // Assert
        await ApiClient.AssertProblemAsync(response, HttpStatusCode.Forbidden);
        var after = await api.ReadAsync($"/mentor/{ownerId}/live/{liveId}", ownerToken);
        Assert.Equal(before, after);
        Assert.Contains("\"state\":\"scheduled\"", after, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(MenteeOperations))]
    public async Task A_mentee_cannot_act_on_another_mentees_resources(string method, string suffix, string? body)
    {
        // Arrange
        using var api = fixture.CreateClient();
        var mentorId = Ids.New("mentor");
        await api.CreateMentorAsync(mentorId, "engines");
        var (victimId, victimToken) = await CreateMenteeFollowingWithDeviceAsync(api, mentorId);
        var intruderToken = await api.CreateMenteeAsync(Ids.New("mentee-a"));
        var before = await api.ReadAsync($"/mentee/{victimId}", victimToken);

        // Act
        using var response = await api.SendRawAsync(new HttpMethod(method), $"/mentee/{victimId}{Fill(suffix, mentorId, victimId, "")}", body, intruderToken);

        // Assert
        await ApiClient.AssertProblemAsync(response, HttpStatusCode.Forbidden);
        Assert.Equal(before, await api.ReadAsync($"/mentee/{victimId}", victimToken));
    }

    [Theory]
    [MemberData(nameof(MenteeOperations))]
    public async Task A_mentor_cannot_use_mentee_endpoints_even_with_the_mentees_id(string method, string suffix, string? body)
    {
        // Arrange: the mentor's token carries the mentee's id, so only the role tells them apart.
        using var api = fixture.CreateClient();
        var mentorId = Ids.New("mentor");
        await api.CreateMentorAsync(mentorId, "engines");
        var (menteeId, menteeToken) = await CreateMenteeFollowingWithDeviceAsync(api, mentorId);
        var mentorToken = await api.TokenAsync(menteeId, "mentor");
        var before = await api.ReadAsync($"/mentee/{menteeId}", menteeToken);

        // Act
        using var response = await api.SendRawAsync(new HttpMethod(method), $"/mentee/{menteeId}{Fill(suffix, mentorId, menteeId, "")}", body, mentorToken);

        // Assert
        await ApiClient.AssertProblemAsync(response, HttpStatusCode.Forbidden);
        Assert.Equal(before, await api.ReadAsync($"/mentee/{menteeId}", menteeToken));
    }

    private static object ValidSchedule(string mentorId) =>
        new { mentorId, courseId = "engines", title = "Not yours", scheduledStart = DateTimeOffset.UtcNow.AddDays(1) };

    private static string Fill(string template, string mentorId, string menteeId, string liveId) => template
        .Replace("{mentor}", mentorId, StringComparison.Ordinal)
        .Replace("{mentee}", menteeId, StringComparison.Ordinal)
        .Replace("{live}", liveId, StringComparison.Ordinal)
        .Replace("{start}", DateTimeOffset.UtcNow.AddDays(1).ToString("O"), StringComparison.Ordinal);

    private static async Task<(string MenteeId, string Token)> CreateMenteeFollowingWithDeviceAsync(ApiClient api, string mentorId)
    {
        var menteeId = Ids.New("mentee-b");
        var token = await api.CreateMenteeAsync(menteeId);
        await api.FollowAsync(menteeId, mentorId, token);

        using (var device = await api.SendRawAsync(HttpMethod.Put, $"/mentee/{menteeId}/devices/phone-1", """{"platform":"apns","token":"victim-token"}""", token))
        {
            Assert.Equal(HttpStatusCode.OK, device.StatusCode);
        }

        return (menteeId, token);
    }

    private async Task<string> InvalidTokenAsync(ApiClient api, string kind, string victimId) => kind switch
    {
        "expired" => TestTokens.Create(fixture.SigningKey, victimId, "mentor", expires: DateTimeOffset.UtcNow.AddMinutes(-10)),
        "signed-with-another-key" => TestTokens.Create(HostProcess.NewSigningKey(), victimId, "mentor"),
        "wrong-issuer" => TestTokens.Create(fixture.SigningKey, victimId, "mentor", issuer: "https://evil.example"),
        "wrong-audience" => TestTokens.Create(fixture.SigningKey, victimId, "mentor", audience: "another-api"),
        "unsigned" => TestTokens.Unsigned(victimId, "mentor"),
        "tampered-signature" => TestTokens.WithTamperedSignature(await api.TokenAsync(victimId, "mentor")),
        // A genuine token of the attacker, rewritten to claim the victim's id.
        "altered-payload" => await AlteredPayloadTokenAsync(api, victimId),
        "not-a-jwt" => "not-a-jwt-at-all",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };

    private static async Task<string> AlteredPayloadTokenAsync(ApiClient api, string victimId)
    {
        var attackerId = Ids.New("attacker");
        var attackerToken = await api.TokenAsync(attackerId, "mentor");
        return TestTokens.WithAlteredPayload(attackerToken, payload => payload.Replace(attackerId, victimId, StringComparison.Ordinal));
    }
}
