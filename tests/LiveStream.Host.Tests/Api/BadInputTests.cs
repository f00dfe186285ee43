using System.Globalization;
using System.Net;
using System.Text;
using System.Text.RegularExpressions;

namespace LiveStream.Host.Tests.Api;

/// <summary>
/// DESIGN §3: what a client gets wrong answers with the documented 4xx as problem+json naming the field,
/// never a 500, and changes nothing that was stored.
/// </summary>
/// <remarks>
/// Bodies are templates: <c>&lt;N chars&gt;</c> becomes N letters, <c>{mentor}</c> the test's mentor id,
/// <c>{future}</c> / <c>{past}</c> / <c>{too-far}</c> an ISO 8601 start tomorrow / an hour ago / 400 days ahead.
/// </remarks>
[Collection(ApiCollection.Name)]
public sealed partial class BadInputTests(ApiFixture fixture)
{
    private const string Id65 = "<65 chars>";

    public static TheoryData<string, string> InvalidMentorProfiles => new()
    {
        { """{"displayName":"Ada""", "body" },
        { "{", "body" },
        { "not json", "body" },
        { "[]", "body" },
        { "null", "body" },
        { "", "body" },
        { "{}", "displayName" },
        { """{"bio":"Only a bio"}""", "displayName" },
        { """{"displayName":"   "}""", "displayName" },
        { """{"displayName":null}""", "displayName" },
        { """{"displayName":{"first":"Ada"}}""", "displayName" },
        { """{"displayName":42}""", "displayName" },
        { """{"displayName":"Ada","bio":["a","b"]}""", "bio" },
        { """{"displayName":"<101 chars>"}""", "displayName" },
        { """{"displayName":"Ada","bio":"<2001 chars>"}""", "bio" },
        { """{"displayName":"Ada","avatarUrl":"not a url"}""", "avatarUrl" },
        { """{"displayName":"Ada","avatarUrl":"javascript:alert(1)"}""", "avatarUrl" },
    };

    public static TheoryData<string, string> InvalidCourses => new()
    {
        { """{"title":"Engines""", "body" },
        { "{}", "title" },
        { """{"description":"No title"}""", "title" },
        { """{"title":""}""", "title" },
        { """{"title":42}""", "title" },
        { """{"title":{"text":"Engines"}}""", "title" },
        { """{"title":"<201 chars>"}""", "title" },
        { """{"title":"Engines","description":"<2001 chars>"}""", "description" },
        { """{"title":"Engines","description":false}""", "description" },
    };

    public static TheoryData<string, string> InvalidMenteeProfiles => new()
    {
        { """{"displayName":""", "body" },
        { "{}", "displayName" },
        { """{"displayName":""}""", "displayName" },
        { """{"displayName":{"first":"Grace"}}""", "displayName" },
        { """{"displayName":true}""", "displayName" },
        { """{"displayName":"<101 chars>"}""", "displayName" },
    };

    public static TheoryData<string, string> InvalidDevices => new()
    {
        { """{"platform":"fcm","token":""", "body" },
        { """{"token":"abc"}""", "platform" },
        { """{"platform":"sms","token":"abc"}""", "platform" },
        { """{"platform":"APNS","token":"abc"}""", "platform" },
        { """{"platform":1,"token":"abc"}""", "platform" },
        { """{"platform":"fcm"}""", "token" },
        { """{"platform":"fcm","token":" "}""", "token" },
        { """{"platform":"apns","token":"<4097 chars>"}""", "token" },
        { """{"platform":"apns","token":["abc"]}""", "token" },
    };

    public static TheoryData<string, string> InvalidSchedules => new()
    {
        { """{"mentorId":"{mentor}","courseId":"engines","title":"Intro""", "body" },
        { "[1,2,3]", "body" },
        { """{"courseId":"engines","title":"Intro","scheduledStart":"{future}"}""", "mentorId" },
        { """{"mentorId":"{mentor}","title":"Intro","scheduledStart":"{future}"}""", "courseId" },
        { """{"mentorId":"{mentor}","courseId":"engines","scheduledStart":"{future}"}""", "title" },
        { """{"mentorId":"{mentor}","courseId":"engines","title":"Intro"}""", "scheduledStart" },
        { """{"mentorId":"{mentor}","courseId":"engines","title":"  ","scheduledStart":"{future}"}""", "title" },
        { """{"mentorId":"{mentor}","courseId":"engines","title":42,"scheduledStart":"{future}"}""", "title" },
        { """{"mentorId":"{mentor}","courseId":"engines","title":"Intro","scheduledStart":"next tuesday"}""", "scheduledStart" },
        { """{"mentorId":"{mentor}","courseId":"engines","title":"Intro","scheduledStart":1767225600}""", "scheduledStart" },
        { """{"mentorId":{"id":"{mentor}"},"courseId":"engines","title":"Intro","scheduledStart":"{future}"}""", "mentorId" },
        { """{"mentorId":"{mentor}","courseId":7,"title":"Intro","scheduledStart":"{future}"}""", "courseId" },
        { """{"mentorId":"{mentor}","courseId":"engines","title":"<201 chars>","scheduledStart":"{future}"}""", "title" },
        { """{"mentorId":"bad id!","courseId":"engines","title":"Intro","scheduledStart":"{future}"}""", "mentorId" },
        { """{"mentorId":"<65 chars>","courseId":"engines","title":"Intro","scheduledStart":"{future}"}""", "mentorId" },
        { """{"mentorId":"{mentor}","courseId":"bad id!","title":"Intro","scheduledStart":"{future}"}""", "courseId" },
        { """{"mentorId":"{mentor}","courseId":"<65 chars>","title":"Intro","scheduledStart":"{future}"}""", "courseId" },
        { """{"mentorId":"{mentor}","courseId":"engines","title":"Intro","scheduledStart":"{past}"}""", "scheduledStart" },
        { """{"mentorId":"{mentor}","courseId":"engines","title":"Intro","scheduledStart":"{too-far}"}""", "scheduledStart" },
    };

    /// <summary>Routes with an invalid id (each route once per invalid id); the other ids are the caller's.</summary>
    public static TheoryData<string, string, string?, string> InvalidRouteIds
    {
        get
        {
            var data = new TheoryData<string, string, string?, string>();
            foreach (var bad in new[] { "bad id!", Id65 })
            {
                data.Add("PUT", $"/mentor/{bad}", """{"displayName":"Ada"}""", "mentorId");
                data.Add("GET", $"/mentor/{bad}", null, "mentorId");
                data.Add("PUT", $"/mentor/{{mentor}}/courses/{bad}", """{"title":"Engines"}""", "courseId");
                data.Add("GET", $"/mentor/{bad}/live", null, "mentorId");
                data.Add("GET", $"/mentor/{{mentor}}/live/{bad}", null, "liveId");
                data.Add("DELETE", $"/livestream/{bad}", null, "liveId");
                data.Add("PUT", $"/mentee/{{mentee}}/following/{bad}", null, "mentorId");
                data.Add("DELETE", $"/mentee/{{mentee}}/following/{bad}", null, "mentorId");
                data.Add("PUT", $"/mentee/{{mentee}}/devices/{bad}", """{"platform":"fcm","token":"abc"}""", "deviceId");
            }

            return data;
        }
    }

    [Theory]
    [MemberData(nameof(InvalidMentorProfiles))]
    public async Task Invalid_mentor_profiles_answer_400_naming_the_field_and_change_nothing(string body, string field)
    {
        // Arrange
        using var api = fixture.CreateClient();
        var mentorId = Ids.New("mentor");
        var token = await api.CreateMentorAsync(mentorId, "engines");
        var before = await api.ReadAsync($"/mentor/{mentorId}", token);

        // Act
        using var response = await api.SendRawAsync(HttpMethod.Put, $"/mentor/{mentorId}", Expand(body, mentorId), token);

        // Assert
        await ApiClient.AssertProblemAsync(response, HttpStatusCode.BadRequest, field);
        Assert.Equal(before, await api.ReadAsync($"/mentor/{mentorId}", token));
    }

    [Theory]
    [MemberData(nameof(InvalidCourses))]
    public async Task Invalid_courses_answer_400_naming_the_field_and_change_nothing(string body, string field)
    {
        // Arrange: the request targets the mentor's existing course, so a partial write would show.
        using var api = fixture.CreateClient();
        var mentorId = Ids.New("mentor");
        var token = await api.CreateMentorAsync(mentorId, "engines");
        var before = await api.ReadAsync($"/mentor/{mentorId}", token);

        // Act
        using var response = await api.SendRawAsync(HttpMethod.Put, $"/mentor/{mentorId}/courses/engines", Expand(body, mentorId), token);

        // Assert
        await ApiClient.AssertProblemAsync(response, HttpStatusCode.BadRequest, field);
        Assert.Equal(before, await api.ReadAsync($"/mentor/{mentorId}", token));
    }

    [Fact]
    public async Task A_course_for_a_mentor_without_profile_answers_404_naming_mentorId()
    {
        // Arrange
        using var api = fixture.CreateClient();
        var mentorId = Ids.New("mentor");
        var token = await api.TokenAsync(mentorId, "mentor");

        // Act
        using var response = await api.SendRawAsync(HttpMethod.Put, $"/mentor/{mentorId}/courses/engines", """{"title":"Engines"}""", token);

        // Assert
        await ApiClient.AssertProblemAsync(response, HttpStatusCode.NotFound, "mentorId");
        await api.AssertMissingAsync($"/mentor/{mentorId}", token);
    }

    [Theory]
    [MemberData(nameof(InvalidMenteeProfiles))]
    public async Task Invalid_mentee_profiles_answer_400_naming_the_field_and_change_nothing(string body, string field)
    {
        // Arrange
        using var api = fixture.CreateClient();
        var menteeId = Ids.New("mentee");
        var token = await api.CreateMenteeAsync(menteeId);
        var before = await api.ReadAsync($"/mentee/{menteeId}", token);

        // Act
        using var response = await api.SendRawAsync(HttpMethod.Put, $"/mentee/{menteeId}", Expand(body, menteeId), token);

        // Assert
        await ApiClient.AssertProblemAsync(response, HttpStatusCode.BadRequest, field);
        Assert.Equal(before, await api.ReadAsync($"/mentee/{menteeId}", token));
    }

    [Theory]
    [MemberData(nameof(InvalidDevices))]
    public async Task Invalid_devices_answer_400_naming_the_field_and_change_nothing(string body, string field)
    {
        // Arrange: the request targets the mentee's existing device, so a partial write would show.
        using var api = fixture.CreateClient();
        var menteeId = Ids.New("mentee");
        var token = await api.CreateMenteeAsync(menteeId);
        using (var device = await api.SendRawAsync(HttpMethod.Put, $"/mentee/{menteeId}/devices/phone-1", """{"platform":"apns","token":"original"}""", token))
        {
            Assert.Equal(HttpStatusCode.OK, device.StatusCode);
        }

        var before = await api.ReadAsync($"/mentee/{menteeId}", token);

        // Act
        using var response = await api.SendRawAsync(HttpMethod.Put, $"/mentee/{menteeId}/devices/phone-1", Expand(body, menteeId), token);

        // Assert
        await ApiClient.AssertProblemAsync(response, HttpStatusCode.BadRequest, field);
        Assert.Equal(before, await api.ReadAsync($"/mentee/{menteeId}", token));
    }

    [Fact]
    public async Task Following_an_unknown_mentor_answers_404_naming_mentorId_and_changes_nothing()
    {
        // Arrange
        using var api = fixture.CreateClient();
        var menteeId = Ids.New("mentee");
        var token = await api.CreateMenteeAsync(menteeId);
        var before = await api.ReadAsync($"/mentee/{menteeId}", token);

        // Act
        using var response = await api.SendAsync(HttpMethod.Put, $"/mentee/{menteeId}/following/{Ids.New("nobody")}", token: token);

        // Assert
        await ApiClient.AssertProblemAsync(response, HttpStatusCode.NotFound, "mentorId");
        Assert.Equal(before, await api.ReadAsync($"/mentee/{menteeId}", token));
    }

    [Fact]
    public async Task Following_a_mentor_who_has_only_a_token_but_no_profile_answers_404_naming_mentorId()
    {
        // Arrange
        using var api = fixture.CreateClient();
        var mentorId = Ids.New("mentor");
        await api.TokenAsync(mentorId, "mentor");
        var menteeId = Ids.New("mentee");
        var token = await api.CreateMenteeAsync(menteeId);
        var before = await api.ReadAsync($"/mentee/{menteeId}", token);

        // Act
        using var response = await api.SendAsync(HttpMethod.Put, $"/mentee/{menteeId}/following/{mentorId}", token: token);

        // Assert
        await ApiClient.AssertProblemAsync(response, HttpStatusCode.NotFound, "mentorId");
        Assert.Equal(before, await api.ReadAsync($"/mentee/{menteeId}", token));
    }

    [Theory]
    [MemberData(nameof(InvalidSchedules))]
    public async Task Invalid_schedules_answer_400_naming_the_field_and_create_nothing(string body, string field)
    {
        // Arrange
        using var api = fixture.CreateClient();
        var mentorId = Ids.New("mentor");
        var token = await api.CreateMentorAsync(mentorId, "engines");
        var before = await api.ReadAsync($"/mentor/{mentorId}/live", token);

        // Act
        using var response = await api.SendRawAsync(HttpMethod.Post, "/livestream/", Expand(body, mentorId), token);

        // Assert
        await ApiClient.AssertProblemAsync(response, HttpStatusCode.BadRequest, field);
        Assert.Equal(before, await api.ReadAsync($"/mentor/{mentorId}/live", token));
    }

    [Fact]
    public async Task Scheduling_for_an_unknown_course_answers_404_naming_courseId_and_creates_nothing()
    {
        // Arrange
        using var api = fixture.CreateClient();
        var mentorId = Ids.New("mentor");
        var token = await api.CreateMentorAsync(mentorId, "engines");
        var before = await api.ReadAsync($"/mentor/{mentorId}/live", token);

        // Act
        using var response = await api.SendRawAsync(
            HttpMethod.Post, "/livestream/", Expand("""{"mentorId":"{mentor}","courseId":"no-such-course","title":"Intro","scheduledStart":"{future}"}""", mentorId), token);

        // Assert
        await ApiClient.AssertProblemAsync(response, HttpStatusCode.NotFound, "courseId");
        Assert.Equal(before, await api.ReadAsync($"/mentor/{mentorId}/live", token));
    }

    [Fact]
    public async Task Scheduling_for_a_mentor_without_profile_answers_404_naming_mentorId_and_creates_nothing()
    {
        // Arrange
        using var api = fixture.CreateClient();
        var mentorId = Ids.New("mentor");
        var token = await api.TokenAsync(mentorId, "mentor");

        // Act
        using var response = await api.SendRawAsync(
            HttpMethod.Post, "/livestream/", Expand("""{"mentorId":"{mentor}","courseId":"engines","title":"Intro","scheduledStart":"{future}"}""", mentorId), token);

        // Assert
        await ApiClient.AssertProblemAsync(response, HttpStatusCode.NotFound, "mentorId");
        await api.AssertMissingAsync($"/mentor/{mentorId}", token);
        await api.AssertMissingAsync($"/mentor/{mentorId}/live", token);
    }

    [Theory]
    [MemberData(nameof(InvalidRouteIds))]
    public async Task Invalid_ids_in_the_route_answer_400_naming_the_id(string method, string path, string? body, string field)
    {
        // Arrange: ids in the route that are not the bad one belong to the caller, so only the bad id is wrong.
        using var api = fixture.CreateClient();
        var isMenteeRoute = path.StartsWith("/mentee/", StringComparison.Ordinal);
        var callerId = Ids.New(isMenteeRoute ? "mentee" : "mentor");
        var token = isMenteeRoute ? await api.CreateMenteeAsync(callerId) : await api.CreateMentorAsync(callerId, "engines");
        var readBack = isMenteeRoute ? $"/mentee/{callerId}" : $"/mentor/{callerId}";
        var before = await api.ReadAsync(readBack, token);
        var url = Expand(path, callerId).Replace("{mentee}", callerId, StringComparison.Ordinal);

        // Act
        using var response = await api.SendRawAsync(new HttpMethod(method), url, body, token);

        // Assert
        await ApiClient.AssertProblemAsync(response, HttpStatusCode.BadRequest, field);
        Assert.Equal(before, await api.ReadAsync(readBack, token));
    }

    [Theory]
    [InlineData("limit=0", "limit")]
    [InlineData("limit=-1", "limit")]
    [InlineData("limit=101", "limit")]
    [InlineData("limit=1000", "limit")]
    [InlineData("limit=abc", "limit")]
    [InlineData("limit=1.5", "limit")]
    [InlineData("limit=99999999999", "limit")]
    [InlineData("after=no-such-session", "after")]
    public async Task Invalid_paging_on_the_session_list_answers_400_naming_the_parameter(string query, string field)
    {
        // Arrange
        using var api = fixture.CreateClient();
        var mentorId = Ids.New("mentor");
        var token = await api.CreateMentorAsync(mentorId, "engines");
        await api.ScheduleAsync(mentorId, "engines", token);

        // Act
        using var response = await api.SendAsync(HttpMethod.Get, $"/mentor/{mentorId}/live?{query}", token: token);

        // Assert
        await ApiClient.AssertProblemAsync(response, HttpStatusCode.BadRequest, field);
    }

    [Fact]
    public async Task Paging_limits_at_the_edges_are_accepted()
    {
        // Arrange: the control for the invalid paging cases.
        using var api = fixture.CreateClient();
        var mentorId = Ids.New("mentor");
        var token = await api.CreateMentorAsync(mentorId, "engines");
        await api.ScheduleAsync(mentorId, "engines", token);

        // Act
        using var smallest = await api.SendAsync(HttpMethod.Get, $"/mentor/{mentorId}/live?limit=1", token: token);
        using var largest = await api.SendAsync(HttpMethod.Get, $"/mentor/{mentorId}/live?limit=100", token: token);

        // Assert
        Assert.Equal(HttpStatusCode.OK, smallest.StatusCode);
        Assert.Equal(HttpStatusCode.OK, largest.StatusCode);
    }

    [Fact]
    public async Task Cancelling_an_unknown_session_answers_404_naming_liveId()
    {
        // Arrange
        using var api = fixture.CreateClient();
        var mentorId = Ids.New("mentor");
        var token = await api.CreateMentorAsync(mentorId, "engines");

        // Act
        using var response = await api.SendAsync(HttpMethod.Delete, $"/livestream/{Ids.New("live")}", token: token);

        // Assert
        await ApiClient.AssertProblemAsync(response, HttpStatusCode.NotFound, "liveId");
    }

    [Fact]
    public async Task Cancelling_twice_answers_200_both_times_and_the_session_stays_cancelled()
    {
        // Arrange
        using var api = fixture.CreateClient();
        var mentorId = Ids.New("mentor");
        var token = await api.CreateMentorAsync(mentorId, "engines");
        var liveId = await api.ScheduleAsync(mentorId, "engines", token);

        // Act
        using var first = await api.SendAsync(HttpMethod.Delete, $"/livestream/{liveId}", token: token);
        var firstBody = await ApiClient.JsonAsync(first);
        using var second = await api.SendAsync(HttpMethod.Delete, $"/livestream/{liveId}/", token: token);
        var secondBody = await ApiClient.JsonAsync(second);
        using var detailResponse = await api.SendAsync(HttpMethod.Get, $"/mentor/{mentorId}/live/{liveId}", token: token);
        var detail = await ApiClient.JsonAsync(detailResponse);

        // Assert
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.Equal("cancelled", firstBody.GetProperty("state").GetString());
        Assert.Equal("cancelled", secondBody.GetProperty("state").GetString());
        Assert.Equal(firstBody.GetProperty("endedAt").GetDateTimeOffset(), secondBody.GetProperty("endedAt").GetDateTimeOffset());
        Assert.Equal("cancelled", detail.GetProperty("state").GetString());
    }

    [Theory]
    [InlineData("PUT", "/mentor/{mentor}")]
    [InlineData("PUT", "/mentor/{mentor}/courses/engines")]
    [InlineData("POST", "/livestream/")]
    public async Task A_one_mebibyte_body_answers_413_and_changes_nothing(string method, string path)
    {
        // Arrange
        using var api = fixture.CreateClient();
        var mentorId = Ids.New("mentor");
        var token = await api.CreateMentorAsync(mentorId, "engines");
        var mentorBefore = await api.ReadAsync($"/mentor/{mentorId}", token);
        var sessionsBefore = await api.ReadAsync($"/mentor/{mentorId}/live", token);
        var huge = new string('x', 1024 * 1024);
        var body = $$"""{"mentorId":"{{mentorId}}","courseId":"engines","displayName":"{{huge}}","title":"Big","scheduledStart":"{{Future}}"}""";

        // Act: "Expect: 100-continue" as real clients send for large bodies. The server refuses on the declared
        // Content-Length, so the body is never sent; without it, the server's early answer and close race the
        // upload and the client may see a broken pipe instead of the 413.
        using var response = await api.SendRawAsync(
            new HttpMethod(method), path.Replace("{mentor}", mentorId, StringComparison.Ordinal), body, token, ExpectContinue);

        // Assert
        await ApiClient.AssertProblemAsync(response, HttpStatusCode.RequestEntityTooLarge, "body");
        Assert.Equal(mentorBefore, await api.ReadAsync($"/mentor/{mentorId}", token));
        Assert.Equal(sessionsBefore, await api.ReadAsync($"/mentor/{mentorId}/live", token));
    }

    [Fact]
    public async Task A_body_that_is_not_json_by_content_type_answers_415()
    {
        // Arrange
        using var api = fixture.CreateClient();
        var mentorId = Ids.New("mentor");
        var token = await api.CreateMentorAsync(mentorId, "engines");
        var before = await api.ReadAsync($"/mentor/{mentorId}", token);
        using var request = new HttpRequestMessage(HttpMethod.Put, $"/mentor/{mentorId}")
        {
            Content = new StringContent("""{"displayName":"Plain"}""", Encoding.UTF8, "text/plain"),
        };
        request.Headers.Authorization = new("Bearer", token);

        // Act
        using var response = await api.Http.SendAsync(request);

        // Assert
        await ApiClient.AssertProblemAsync(response, HttpStatusCode.UnsupportedMediaType);
        Assert.Equal(before, await api.ReadAsync($"/mentor/{mentorId}", token));
    }

    [Theory]
    [InlineData("""{"userId":"bad id!","role":"mentor"}""", "userId")]
    [InlineData("""{"userId":"<65 chars>","role":"mentor"}""", "userId")]
    [InlineData("""{"role":"mentor"}""", "userId")]
    [InlineData("""{"userId":"someone","role":"admin"}""", "role")]
    [InlineData("""{"userId":"someone"}""", "role")]
    [InlineData("""{"userId":"someone","role":1}""", "role")]
    [InlineData("""{"userId":"someone",""", "body")]
    public async Task Invalid_dev_token_requests_answer_400_naming_the_field(string body, string field)
    {
        // Arrange
        using var api = fixture.CreateClient();

        // Act
        using var response = await api.SendRawAsync(HttpMethod.Post, "/auth/dev-token", Expand(body, "someone"));

        // Assert
        await ApiClient.AssertProblemAsync(response, HttpStatusCode.BadRequest, field);
    }

    private static readonly Dictionary<string, string> ExpectContinue = new() { ["Expect"] = "100-continue" };

    private static string Future => DateTimeOffset.UtcNow.AddDays(1).ToString("O", CultureInfo.InvariantCulture);

    /// <summary>Expands the templates described on the class.</summary>
    private static string Expand(string template, string mentorId) => Chars().Replace(template, match => new string('x', int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture)))
        .Replace("{mentor}", mentorId, StringComparison.Ordinal)
        .Replace("{future}", Future, StringComparison.Ordinal)
        .Replace("{past}", DateTimeOffset.UtcNow.AddHours(-1).ToString("O", CultureInfo.InvariantCulture), StringComparison.Ordinal)
        .Replace("{too-far}", DateTimeOffset.UtcNow.AddDays(400).ToString("O", CultureInfo.InvariantCulture), StringComparison.Ordinal);

    [GeneratedRegex("<([0-9]+) chars>")]
    private static partial Regex Chars();
}
