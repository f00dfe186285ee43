using System.Diagnostics;
using System.Net;
using LiveStream.Infrastructure.Aws;
using LiveStream.Testing;

namespace LiveStream.Infrastructure.Tests.Aws;

/// <summary>Throttling, transient failures and error mapping, scripted on a stub.</summary>
public sealed class RetryAndErrorTests
{
    private const string HarvestJobJson = """{"arn":"arn:aws:mediapackage:us-east-1:123456789012:harvest_jobs/h1","id":"h1","status":"IN_PROGRESS"}""";

    [Fact]
    public async Task A_throttled_call_is_retried_with_backoff_until_it_succeeds()
    {
        // Arrange: a 429, then a 400 whose code says throttling, then success.
        await using var stub = AwsStubServer.Start().Respond(
            new StubResponse(429, """{"message":"Too Many Requests"}""") { Headers = ErrorType("TooManyRequestsException") },
            new StubResponse(400, """{"__type":"com.amazonaws.mediapackage#ThrottlingException","message":"Rate exceeded"}"""),
            new StubResponse(200, HarvestJobJson));
        using var clients = new AwsTestClients(stub.ServiceUrl);

        // Act
        var job = await clients.MediaPackage.DescribeHarvestJobAsync("h1", CancellationToken.None);

        // Assert
        Assert.Equal("h1", job.Id);
        Assert.Equal(3, stub.Requests.Count);
        Assert.All(stub.Requests, r =>
        {
            Assert.Equal("/harvest_jobs/h1", r.RawUrl);
            SigV4Verifier.AssertSigned(r, MotoServer.AccessKey, MotoServer.SecretKey, MotoServer.Region, "mediapackage");
        });
    }

    [Fact]
    public async Task Sns_throttling_reported_in_xml_is_retried()
    {
        // Arrange
        await using var stub = AwsStubServer.Start().Respond(
            new StubResponse(400, SnsError("Sender", "Throttling", "Rate exceeded", "r-throttled"), "text/xml"),
            new StubResponse(200, """
                <PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/">
                  <PublishResult><MessageId>m-1</MessageId></PublishResult>
                  <ResponseMetadata><RequestId>r-ok</RequestId></ResponseMetadata>
                </PublishResponse>
                """, "text/xml"));
        using var clients = new AwsTestClients(stub.ServiceUrl);

        // Act
        var messageId = await clients.Sns.PublishAsync("arn:aws:sns:us-east-1:123456789012:endpoint/GCM/app/e1", "hello", CancellationToken.None);

        // Assert
        Assert.Equal("m-1", messageId);
        Assert.Equal(2, stub.Requests.Count);
    }

    [Fact]
    public async Task Server_errors_are_retried_up_to_the_limit_then_surface_with_their_code()
    {
        // Arrange
        await using var stub = AwsStubServer.Start().Respond(
            Enumerable.Range(0, 5).Select(_ => new StubResponse(503, """{"message":"try later"}""") { Headers = ErrorType("ServiceUnavailableException") }).ToArray());
        using var clients = new AwsTestClients(stub.ServiceUrl, o => o.MaxErrorRetry = 2);

        // Act
        var error = await Assert.ThrowsAsync<AwsServiceException>(
            () => clients.MediaLive.DescribeChannelAsync("1234", CancellationToken.None));

        // Assert
        Assert.Equal(3, stub.Requests.Count);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, error.StatusCode);
        Assert.Equal("ServiceUnavailableException", error.ErrorCode);
    }

    [Fact]
    public async Task A_client_error_is_not_retried_and_maps_to_code_message_and_request_id()
    {
        // Arrange
        await using var stub = AwsStubServer.Start().Respond(
            new StubResponse(422, """{"message":"Channel is not idle"}""")
            {
                Headers = new Dictionary<string, string>
                {
                    ["x-amzn-ErrorType"] = "UnprocessableEntityException:http://internal.amazon.com/coral/com.amazonaws.medialive/",
                    ["x-amzn-RequestId"] = "req-422",
                },
            });
        using var clients = new AwsTestClients(stub.ServiceUrl);

        // Act
        var error = await Assert.ThrowsAsync<AwsServiceException>(
            () => clients.MediaLive.DeleteChannelAsync("1234", CancellationToken.None));

        // Assert
        Assert.Single(stub.Requests);
        Assert.Equal("UnprocessableEntityException", error.ErrorCode);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, error.StatusCode);
        Assert.Equal("Channel is not idle", error.ErrorMessage);
        Assert.Equal("req-422", error.RequestId);
        Assert.Equal("medialive", error.Service);
        Assert.Equal("DeleteChannel", error.Operation);
        Assert.False(error.IsThrottling);
    }

    [Fact]
    public async Task A_query_api_error_maps_code_message_and_request_id_from_the_xml()
    {
        // Arrange
        await using var stub = AwsStubServer.Start().Respond(
            new StubResponse(400, SnsError("Sender", "InvalidParameter", "Invalid parameter: Token", "req-sns-1"), "text/xml"));
        using var clients = new AwsTestClients(stub.ServiceUrl);

        // Act
        var error = await Assert.ThrowsAsync<AwsServiceException>(() => clients.Sns.CreatePlatformEndpointAsync(
            "arn:aws:sns:us-east-1:123456789012:app/GCM/app", "bad", null, null, CancellationToken.None));

        // Assert
        Assert.Single(stub.Requests);
        Assert.Equal("InvalidParameter", error.ErrorCode);
        Assert.Equal("Invalid parameter: Token", error.ErrorMessage);
        Assert.Equal("req-sns-1", error.RequestId);
        Assert.Equal("CreatePlatformEndpoint", error.Operation);
    }

    [Fact]
    public async Task A_success_response_that_is_not_the_expected_json_is_reported_as_malformed()
    {
        // Arrange
        await using var stub = AwsStubServer.Start().Respond(new StubResponse(200, "<html>captive portal</html>", "text/html"));
        using var clients = new AwsTestClients(stub.ServiceUrl);

        // Act
        var error = await Assert.ThrowsAsync<AwsServiceException>(
            () => clients.MediaPackage.DescribeChannelAsync("mp-1", CancellationToken.None));

        // Assert
        Assert.Equal(AwsServiceException.MalformedResponseCode, error.ErrorCode);
        Assert.IsType<System.Text.Json.JsonException>(error.InnerException, exactMatch: false);
    }

    [Fact]
    public async Task Cancellation_during_backoff_stops_retrying()
    {
        // Arrange: a long server-requested wait that cancellation has to cut short.
        await using var stub = AwsStubServer.Start().Respond(
            new StubResponse(429, "{}") { Headers = new Dictionary<string, string> { ["x-amzn-ErrorType"] = "TooManyRequestsException", ["Retry-After"] = "30" } },
            new StubResponse(200, HarvestJobJson));
        using var clients = new AwsTestClients(stub.ServiceUrl, o => o.RetryMaxDelay = TimeSpan.FromSeconds(30));
        using var cancellation = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
        var clock = Stopwatch.StartNew();

        // Act
        var call = clients.MediaPackage.DescribeHarvestJobAsync("h1", cancellation.Token);

        // Assert
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"cancellation took {clock.Elapsed}");
        Assert.Single(stub.Requests);
    }

    private static Dictionary<string, string> ErrorType(string code) => new() { ["x-amzn-ErrorType"] = code };

    private static string SnsError(string type, string code, string message, string requestId) => $"""
        <ErrorResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/">
          <Error><Type>{type}</Type><Code>{code}</Code><Message>{message}</Message></Error>
          <RequestId>{requestId}</RequestId>
        </ErrorResponse>
        """;
}
