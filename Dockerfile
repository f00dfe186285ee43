# syntax=docker/dockerfile:1
# One image for every role: LiveStream__Role=all|silo|api (ECS task definitions set it per service).

FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
# Restore first, from the project files alone, so code edits do not invalidate the package layer.
COPY Directory.Build.props Directory.Packages.props .editorconfig ./
COPY src/LiveStream.Abstractions/LiveStream.Abstractions.csproj src/LiveStream.Abstractions/
COPY src/LiveStream.Grains/LiveStream.Grains.csproj src/LiveStream.Grains/
COPY src/LiveStream.Infrastructure/LiveStream.Infrastructure.csproj src/LiveStream.Infrastructure/
COPY src/LiveStream.Host/LiveStream.Host.csproj src/LiveStream.Host/
RUN dotnet restore src/LiveStream.Host/LiveStream.Host.csproj
# The web app's browser libraries (hls.js) at the versions pinned in package-lock.json; the build copies them into wwwroot.
RUN apt-get update -qq && apt-get install -y -qq --no-install-recommends npm >/dev/null && rm -rf /var/lib/apt/lists/*
COPY src/LiveStream.Host/package.json src/LiveStream.Host/package-lock.json src/LiveStream.Host/
RUN cd src/LiveStream.Host && npm ci --no-audit --no-fund --ignore-scripts
COPY sql/ sql/
COPY src/ src/
RUN dotnet publish src/LiveStream.Host/LiveStream.Host.csproj -c Release --no-restore -o /app /p:UseAppHost=false

FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS runtime
WORKDIR /app
COPY --from=build /app ./
ENV ASPNETCORE_ENVIRONMENT=Production \
    ASPNETCORE_HTTP_PORTS=8080 \
    LiveStream__Role=all \
    Orleans__SiloPort=11111 \
    Orleans__GatewayPort=30000 \
    DOTNET_gcServer=1
# HTTP (ALB target), silo-to-silo, client gateway.
EXPOSE 8080 11111 30000
# The image's built-in unprivileged user.
USER $APP_UID
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 CMD ["dotnet", "LiveStream.Host.dll", "healthcheck"]
ENTRYPOINT ["dotnet", "LiveStream.Host.dll"]
