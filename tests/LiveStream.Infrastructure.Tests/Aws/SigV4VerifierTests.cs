using System.Text;

namespace LiveStream.Infrastructure.Tests.Aws;

/// <summary>
/// Pins the independent verifier used by the signing tests to AWS's published SigV4 test suite, so "the signature
/// verifies" means "AWS would accept it" rather than "two implementations agree".
/// </summary>
public sealed class SigV4VerifierTests
{
    private const string AccessKey = "AKIDEXAMPLE";
    private const string SecretKey = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
    private static readonly DateTime SuiteTime = new(2015, 8, 30, 12, 36, 0, DateTimeKind.Utc);

    [Theory]
    [InlineData("GET", "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31")]
    [InlineData("POST", "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b")]
    public void The_verifier_accepts_the_aws_test_suite_vanilla_vectors(string method, string signature)
    {
        // Arrange
        var request = SuiteRequest(method, signature);

        // Act
        var problem = SigV4Verifier.Check(request, AccessKey, SecretKey, "us-east-1", "service", SuiteTime);

        // Assert
        Assert.Null(problem);
    }

    [Fact]
    public void The_verifier_rejects_a_vector_whose_body_changed()
    {
        // Arrange
        var request = SuiteRequest("POST", "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b") with
        {
            Body = Encoding.UTF8.GetBytes("Param1=value1"),
        };

        // Act
        var problem = SigV4Verifier.Check(request, AccessKey, SecretKey, "us-east-1", "service", SuiteTime);

        // Assert
        Assert.NotNull(problem);
    }

    private static CapturedRequest SuiteRequest(string method, string signature) => new(
        method,
        "/",
        new Dictionary<string, string>
        {
            ["host"] = "example.amazonaws.com",
            ["x-amz-date"] = "20150830T123600Z",
            ["authorization"] =
                $"AWS4-HMAC-SHA256 Credential={AccessKey}/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature={signature}",
        },
        []);
}
