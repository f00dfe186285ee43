using System.Reflection;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace LiveStream.Host.Api;

/// <summary>
/// Makes <c>/openapi/v1.json</c> a contract clients can be generated from (Swift, Kotlin, TypeScript), in one place
/// rather than on every endpoint: a stable <c>operationId</c>, the bearer scheme or an explicit "no auth", and every
/// problem+json status an operation can answer. Domain errors come from exceptions (ProblemExceptionHandler), so
/// handler signatures do not show them; the rules below derive them from the route, the method and the endpoint's
/// metadata, following DESIGN §3.
/// </summary>
internal static class OpenApiContract
{
    public const string BearerScheme = "Bearer";
    public const string ProblemSchema = "Problem";
    private const string ProblemJson = "application/problem+json";

    public static void Configure(OpenApiOptions options)
    {
        options.AddOperationTransformer(TransformOperation);
        options.AddDocumentTransformer(TransformDocument);
    }

    /// <summary>The problem statuses an operation can answer, by DESIGN §3's meaning of each status.</summary>
    internal static SortedSet<int> ProblemStatuses(string method, string route, bool secured, bool hasInput, bool hasBody, bool idempotent)
    {
        route = "/" + route.Trim('/');
        var statuses = new SortedSet<int>();
        if (hasInput)
        {
            statuses.Add(StatusCodes.Status400BadRequest);
        }

        if (hasBody)
        {
            statuses.Add(StatusCodes.Status413PayloadTooLarge);
        }

        if (route.Contains('{', StringComparison.Ordinal))
        {
            statuses.Add(StatusCodes.Status404NotFound);
        }

        if (!secured)
        {
            // Media URLs are signed and expire (DESIGN §3): the signature is the credential there.
            if (route.StartsWith("/media/{", StringComparison.Ordinal))
            {
                statuses.Add(StatusCodes.Status403Forbidden);
            }

            return statuses;
        }

        // Everything behind the bearer token reaches the cluster (or the database), which may be briefly unavailable.
        statuses.Add(StatusCodes.Status401Unauthorized);
        statuses.Add(StatusCodes.Status503ServiceUnavailable);

        // Writes act only on what is the caller's; /mentee/*, inboxes and the ingest secret are private reads.
        if (method != HttpMethods.Get || route.StartsWith("/mentee/", StringComparison.Ordinal)
            || route.EndsWith("/ingest", StringComparison.Ordinal) || route.EndsWith("/notifications", StringComparison.Ordinal))
        {
            statuses.Add(StatusCodes.Status403Forbidden);
        }

        // The session lifecycle refuses illegal transitions; reactions are accepted only while live.
        var reactionWrite = method == HttpMethods.Post && route.EndsWith("/reaction", StringComparison.Ordinal);
        if (route.StartsWith("/livestream", StringComparison.Ordinal) || reactionWrite)
        {
            statuses.Add(StatusCodes.Status409Conflict);
        }

        // User-generated writes are rate limited and carry an Idempotency-Key that must not be reused with another body.
        if (idempotent || reactionWrite)
        {
            statuses.Add(StatusCodes.Status422UnprocessableEntity);
            statuses.Add(StatusCodes.Status429TooManyRequests);
        }

        // Open live feeds are capped per user and per API process.
        if (route.EndsWith("/reaction/stream", StringComparison.Ordinal))
        {
            statuses.Add(StatusCodes.Status429TooManyRequests);
        }

        return statuses;
    }

    private static Task TransformOperation(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        var description = context.Description;
        var metadata = description.ActionDescriptor.EndpointMetadata;
        var method = HttpMethods.GetCanonicalizedValue(description.HttpMethod ?? HttpMethods.Get);
        var route = description.RelativePath ?? string.Empty;
        var secured = !metadata.OfType<IAllowAnonymous>().Any();

        operation.OperationId ??= OperationId(metadata, method, route);
        operation.Security = secured
            ? [new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(BearerScheme, context.Document)] = [] }]
            : [];

        var idempotent = operation.Parameters?.Any(parameter => parameter.Name == "Idempotency-Key") ?? false;
        var hasInput = operation.RequestBody is not null || operation.Parameters is { Count: > 0 };
        operation.Responses ??= [];

        // File results (media) declare no success response of their own.
        if (!operation.Responses.Keys.Any(code => code.StartsWith('2')))
        {
            operation.Responses["200"] = new OpenApiResponse { Description = "OK." };
        }

        // Problems the handlers declare themselves (e.g. ValidationProblem) share the one problem schema too.
        var declared = operation.Responses.Keys.Where(code => code.Length == 3 && code[0] is '4' or '5')
            .Select(code => int.Parse(code, System.Globalization.CultureInfo.InvariantCulture));
        foreach (var status in ProblemStatuses(method, route, secured, hasInput, operation.RequestBody is not null, idempotent).Union(declared))
        {
            operation.Responses[status.ToString(System.Globalization.CultureInfo.InvariantCulture)] = ProblemResponse(status, context.Document);
        }

        return Task.CompletedTask;
    }

    /// <summary>The endpoint's name when it has one, else <c>Feature_Verb</c> from the handler (<c>LiveSessionApi.ScheduleAsync</c> → <c>LiveSession_Schedule</c>).</summary>
    internal static string OperationId(IEnumerable<object> metadata, string method, string route)
    {
        if (metadata.OfType<IEndpointNameMetadata>().FirstOrDefault() is { } name)
        {
            return name.EndpointName;
        }

        if (metadata.OfType<MethodInfo>().FirstOrDefault() is { DeclaringType: { } type } handler
            && !type.IsDefined(typeof(System.Runtime.CompilerServices.CompilerGeneratedAttribute)) && !handler.Name.Contains('<', StringComparison.Ordinal))
        {
            return $"{Trim(type.Name, "Api")}_{Trim(handler.Name, "Async")}";
        }

        // A lambda: method and literal route segments, e.g. GET /health/live → get_health_live.
        var segments = route.Split('/', StringSplitOptions.RemoveEmptyEntries).Where(segment => !segment.StartsWith('{'));
        return string.Join('_', segments.Prepend(method.ToLowerInvariant()));
    }

    private static string Trim(string name, string suffix) => name.EndsWith(suffix, StringComparison.Ordinal) ? name[..^suffix.Length] : name;

    private static OpenApiResponse ProblemResponse(int status, OpenApiDocument? document)
    {
        var response = new OpenApiResponse
        {
            Description = status switch
            {
                400 => "Invalid input; `errors` names the offending field.",
                401 => "No token, or an invalid or expired one.",
                403 => "A valid token, but the caller may not do this.",
                404 => "Unknown resource.",
                409 => "Illegal state transition (e.g. the session is not live), or the mentor's quota of upcoming sessions is full.",
                413 => "Body larger than 16 KiB.",
                422 => "Idempotency-Key reused with a different body.",
                429 => "Rate limited, or too many open live feeds; retry after `Retry-After` seconds.",
                503 => "Temporarily unavailable (database or cluster); retry after `Retry-After` seconds.",
                _ => "Problem.",
            },
            Content = new Dictionary<string, OpenApiMediaType>
            {
                [ProblemJson] = new() { Schema = new OpenApiSchemaReference(ProblemSchema, document) },
            },
        };
        if (status is 429 or 503)
        {
            response.Headers = new Dictionary<string, IOpenApiHeader>
            {
                ["Retry-After"] = new OpenApiHeader { Description = "Seconds to wait before retrying.", Schema = new OpenApiSchema { Type = JsonSchemaType.Integer } },
            };
        }

        return response;
    }

    private static Task TransformDocument(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken cancellationToken)
    {
        document.Info.Title = "LiveStream API";
        document.Info.Description = "Live mentoring sessions: schedule, broadcast, watch, react. Errors are RFC 7807 problem+json.";
        document.Info.License = new OpenApiLicense { Name = "Proprietary", Identifier = "LicenseRef-Proprietary" };

        // Server URLs come from the request (http://host:port/); clients append paths that start with a slash.
        foreach (var server in document.Servers ?? [])
        {
            server.Url = server.Url?.TrimEnd('/');
        }

        document.Components ??= new OpenApiComponents();
        document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
        document.Components.SecuritySchemes[BearerScheme] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.Http,
            Scheme = "bearer",
            BearerFormat = "JWT",
            Description = "A dev token (`POST /auth/dev-token`, local) or an OIDC access token; `sub` is the user id, `role` is mentor or mentee.",
        };
        document.Components.Schemas ??= new Dictionary<string, IOpenApiSchema>();
        document.Components.Schemas[ProblemSchema] = Problem();

        // Every problem now points at the one schema above.
        document.Components.Schemas.Remove("HttpValidationProblemDetails");

        AddHealth(document);
        document.Tags = new HashSet<OpenApiTag>(
            document.Paths.Values.SelectMany(path => path.Operations ?? []).Select(operation => operation.Value).SelectMany(operation => operation.Tags ?? new HashSet<OpenApiTagReference>())
                .Select(tag => tag.Name).Where(name => name is not null).Distinct().Order(StringComparer.Ordinal)
                .Select(name => new OpenApiTag { Name = name, Description = $"{name} endpoints." }));
        return Task.CompletedTask;
    }

    /// <summary>RFC 7807 plus what ProblemExceptionHandler adds: <c>errors</c> (field → messages) and <c>traceId</c>.</summary>
    private static OpenApiSchema Problem() => new()
    {
        Type = JsonSchemaType.Object,
        Description = "RFC 7807 problem details.",
        Properties = new Dictionary<string, IOpenApiSchema>
        {
            ["type"] = new OpenApiSchema { Type = JsonSchemaType.String | JsonSchemaType.Null },
            ["title"] = new OpenApiSchema { Type = JsonSchemaType.String | JsonSchemaType.Null },
            ["status"] = new OpenApiSchema { Type = JsonSchemaType.Integer | JsonSchemaType.Null, Format = "int32" },
            ["detail"] = new OpenApiSchema { Type = JsonSchemaType.String | JsonSchemaType.Null },
            ["instance"] = new OpenApiSchema { Type = JsonSchemaType.String | JsonSchemaType.Null },
            ["traceId"] = new OpenApiSchema { Type = JsonSchemaType.String | JsonSchemaType.Null },
            ["errors"] = new OpenApiSchema
            {
                Type = JsonSchemaType.Object,
                Description = "The offending fields and what is wrong with each.",
                AdditionalProperties = new OpenApiSchema { Type = JsonSchemaType.Array, Items = new OpenApiSchema { Type = JsonSchemaType.String } },
            },
        },
    };

    /// <summary>Health checks are not route handlers, so the API explorer does not see them; DESIGN §3 lists them.</summary>
    private static void AddHealth(OpenApiDocument document)
    {
        var status = new OpenApiSchema
        {
            Type = JsonSchemaType.Object,
            Properties = new Dictionary<string, IOpenApiSchema>
            {
                ["status"] = new OpenApiSchema { Type = JsonSchemaType.String, Enum = [JsonValue.Create("Healthy"), JsonValue.Create("Degraded"), JsonValue.Create("Unhealthy")] },
                ["checks"] = new OpenApiSchema { Type = JsonSchemaType.Object },
            },
        };
        OpenApiPathItem Path(string id, string summary, bool canFail)
        {
            var responses = new OpenApiResponses
            {
                ["200"] = new OpenApiResponse { Description = "Healthy.", Content = new Dictionary<string, OpenApiMediaType> { ["application/json"] = new() { Schema = status } } },
            };
            if (canFail)
            {
                responses["503"] = new OpenApiResponse { Description = "Not ready.", Content = new Dictionary<string, OpenApiMediaType> { ["application/json"] = new() { Schema = status } } };
            }

            return new OpenApiPathItem
            {
                Operations = new Dictionary<HttpMethod, OpenApiOperation>
                {
                    [HttpMethod.Get] = new()
                    {
                        OperationId = id,
                        Summary = summary,
                        Tags = new HashSet<OpenApiTagReference> { new("Health", document) },
                        Security = [],
                        Responses = responses,
                    },
                },
            };
        }

        document.Paths.TryAdd("/health/live", Path("Health_Live", "Liveness: the process answers (no dependency is checked)", canFail: false));
        document.Paths.TryAdd("/health/ready", Path("Health_Ready", "Readiness for the load balancer: cluster joined, PostgreSQL answers", canFail: true));
    }
}
