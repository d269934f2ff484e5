using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace Vdm.Tests.Data;

/// <summary>An HTTP server on 127.0.0.1 and a free port, serving canned responses: whole files, files whose
/// connection breaks part-way, and 404 for anything else.</summary>
public sealed class LoopbackServer : IDisposable
{
    private readonly HttpListener listener;
    private readonly ConcurrentDictionary<string, (byte[] Bytes, int? BreakAfter, bool Chunked)> routes = new();
    private readonly Task loop;

    public LoopbackServer()
    {
        for (var attempt = 0; ; attempt++)
        {
            var port = FreePort();
            listener = new HttpListener();
            listener.Prefixes.Add($"http://127.0.0.1:{port}/");
            try
            {
                listener.Start();
                BaseUrl = $"http://127.0.0.1:{port}/";
                break;
            }
            catch (HttpListenerException) when (attempt < 5)
            {
                listener.Close(); // the port was taken between probing and binding: try another
            }
        }

        loop = Task.Run(ServeAsync);
    }

    public string BaseUrl { get; } = "";

    public ConcurrentQueue<string> Requests { get; } = new();

    /// <summary>Serves <paramref name="bytes"/> at /<paramref name="path"/>.</summary>
    public string Serve(string path, byte[] bytes)
    {
        routes[path] = (bytes, null, false);
        return BaseUrl + path;
    }

    /// <summary>Serves <paramref name="bytes"/> chunked, without a Content-Length: the client learns the size only by reading.</summary>
    public string ServeChunked(string path, byte[] bytes)
    {
        routes[path] = (bytes, null, true);
        return BaseUrl + path;
    }

    /// <summary>Announces the full length but sends only <paramref name="breakAfter"/> bytes, then drops the connection.</summary>
    public string ServeBroken(string path, byte[] bytes, int breakAfter)
    {
        routes[path] = (bytes, breakAfter, false);
        return BaseUrl + path;
    }

    public void Dispose()
    {
        listener.Close();
        try
        {
            loop.Wait(TimeSpan.FromSeconds(5));
        }
        catch (AggregateException)
        {
        }
    }

    private static int FreePort()
    {
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        return port;
    }

    private async Task ServeAsync()
    {
        while (listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }

            _ = Task.Run(() => Respond(context));
        }
    }

    private async Task Respond(HttpListenerContext context)
    {
        var path = context.Request.Url!.AbsolutePath.TrimStart('/');
        Requests.Enqueue(path);
        var response = context.Response;
        try
        {
            if (!routes.TryGetValue(path, out var route))
            {
                response.StatusCode = 404;
                response.Close();
                return;
            }

            if (route.Chunked)
            {
                response.SendChunked = true;
                for (var at = 0; at < route.Bytes.Length; at += 1 << 16)
                    await response.OutputStream.WriteAsync(route.Bytes.AsMemory(at, Math.Min(1 << 16, route.Bytes.Length - at)));
                response.Close();
                return;
            }

            response.ContentLength64 = route.Bytes.Length;
            if (route.BreakAfter is { } cut)
            {
                await response.OutputStream.WriteAsync(route.Bytes.AsMemory(0, cut));
                await response.OutputStream.FlushAsync();
                response.Abort();
                return;
            }

            await response.OutputStream.WriteAsync(route.Bytes);
            response.Close();
        }
        catch (Exception e) when (e is HttpListenerException or IOException or ObjectDisposedException)
        {
            // The client went away; nothing to do.
        }
    }
}
