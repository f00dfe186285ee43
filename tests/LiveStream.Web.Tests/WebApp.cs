using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace LiveStream.Web.Tests;

/// <summary>What a person does in the web app, step by step, as the browser tests drive it.</summary>
public static class WebApp
{
    public static async Task SignInAsync(this TrackedPage tracked, string userId, string role)
    {
        var page = tracked.Page;
        await page.GotoAsync("/#/signin");
        var form = page.Locator("form[data-form=dev-token]");
        await form.Locator("[name=userId]").FillAsync(userId);
        await form.Locator("[name=role]").SelectOptionAsync(role);
        await form.Locator("button[type=submit]").ClickAsync();
        await Expect(page.Locator($"[data-signed-in='{userId}']")).ToBeVisibleAsync();
    }

    /// <summary>Fills the named fields of a form and submits it.</summary>
    public static async Task SubmitAsync(this IPage page, string form, params (string Field, string Value)[] values)
    {
        var locator = page.Locator($"form[data-form={form}]");
        foreach (var (field, value) in values)
        {
            var control = locator.Locator($"[name={field}]");
            if (await control.EvaluateAsync<string>("element => element.tagName") == "SELECT")
            {
                await control.SelectOptionAsync(value);
            }
            else
            {
                await control.FillAsync(value);
            }
        }

        await locator.Locator("button[type=submit]").ClickAsync();
    }

    public static ILocator FieldError(this IPage page, string form, string field) =>
        page.Locator($"form[data-form={form}] [data-error-for={field}]");

    /// <summary>A mentor with a profile and one course, signed in on the console; returns the course id.</summary>
    public static async Task<string> CreateMentorAsync(this TrackedPage tracked, string mentorId)
    {
        // A new mentor has no profile yet: the console asks for one (the API answers 404 until then).
        tracked.ExpectRejection($"/mentor/{mentorId}");
        await tracked.SignInAsync(mentorId, "mentor");
        return await tracked.FillMentorProfileAsync();
    }

    /// <summary>On the console of a signed-in mentor without a profile: saves one and a course; returns the course id.</summary>
    public static async Task<string> FillMentorProfileAsync(this TrackedPage tracked)
    {
        var page = tracked.Page;
        await page.SubmitAsync("mentor-profile", ("displayName", "Ada Lovelace"), ("bio", "Engines and the notes on them."));
        await Expect(page.Locator("form[data-form=course]")).ToBeVisibleAsync();
        await page.SubmitAsync("course", ("courseId", "engines"), ("title", "Analytical engines"), ("description", "From cards to loops."));
        await Expect(page.Locator("form[data-form=schedule] [name=courseId] option[value=engines]")).ToBeAttachedAsync();
        return "engines";
    }

    /// <summary>Schedules from the console and lands on the session's console page; returns the live id.</summary>
    public static async Task<string> ScheduleAsync(this IPage page, string title)
    {
        await page.SubmitAsync("schedule", ("title", title));
        var session = page.Locator("section.console[data-live-id]");
        await Expect(page.Locator("[data-ingest-url]")).ToBeVisibleAsync();
        return (await session.GetAttributeAsync("data-live-id"))!;
    }

    /// <summary>A mentee with a profile, signed in.</summary>
    public static async Task CreateMenteeAsync(this TrackedPage tracked, string menteeId)
    {
        var page = tracked.Page;
        tracked.ExpectRejection($"/mentee/{menteeId}");
        await tracked.SignInAsync(menteeId, "mentee");
        await page.SubmitAsync("mentee-profile", ("displayName", $"Mentee {menteeId[^4..]}"));
        await Expect(page.Locator("h1")).ToHaveTextAsync($"Hello, Mentee {menteeId[^4..]}");
    }

    /// <summary>Waits until the page's video plays: its time advances by more than a second.</summary>
    public static async Task WaitForPlayingAsync(this IPage page, string video, float timeoutMs = 60_000)
    {
        // A page just routed to renders its player once the session detail has arrived.
        await page.Locator(video).WaitForAsync(new() { Timeout = timeoutMs });
        var start = await page.EvalOnSelectorAsync<double>(video, "v => v.currentTime");
        await page.WaitForFunctionAsync(
            $"([selector, start]) => {{ const v = document.querySelector(selector); return v && v.currentTime > start + 1.5 && !v.paused; }}",
            new object[] { video, start }, new() { Timeout = timeoutMs, PollingInterval = 200 });
    }

    public static Task ScreenshotAsync(this IPage page, string name) =>
        page.ScreenshotAsync(new() { Path = Path.Combine(WebFixture.ScreenshotDirectory, name), FullPage = false });
}
