"""h11 workload: HTTP/1.1 client and server talking over in-memory bytes, as an ASGI
server (uvicorn) or httpcore drives it for every request.

Each round the client sends a request (GET with headers, or POST with a Content-Length
or chunked body), the server parses it and answers with a fixed-length or chunked
response, and the client parses that; connections are kept alive and recycled.
"""

import random
import time

import h11

rng = random.Random(29)
PATHS = [b"/", b"/api/items", b"/api/items/42?expand=owner&fields=id,name", b"/static/app.js",
         b"/search?q=caf%C3%A9+cr%C3%A8me&page=3"]
HEADERS = [(b"host", b"example.org"), (b"user-agent", b"bench/1.0"), (b"accept", b"*/*"),
           (b"accept-encoding", b"gzip, deflate, br"), (b"accept-language", b"fr-FR,fr;q=0.9"),
           (b"cookie", b"session=abc123; theme=dark; lang=fr"), (b"x-request-id", b"7f3a9c")]


def exchange(client, server, k):
    body = b"x" * rng.randint(0, 4000) if k % 3 else b""
    chunked = k % 3 == 2
    headers = HEADERS[: 3 + k % 5]
    if body and chunked:
        headers = [*headers, (b"transfer-encoding", b"chunked")]
    elif body:
        headers = [*headers, (b"content-length", str(len(body)).encode())]
    method = b"POST" if body else b"GET"
    data = client.send(h11.Request(method=method, target=PATHS[k % len(PATHS)], headers=headers))
    if body:
        step = 700 if chunked else len(body)
        for i in range(0, len(body), step):
            data += client.send(h11.Data(data=body[i:i + step]))
    data += client.send(h11.EndOfMessage())
    # deliver in small network-sized pieces
    received = 0
    for i in range(0, len(data), 512):
        server.receive_data(data[i:i + 512])
        while True:
            event = server.next_event()
            if event is h11.NEED_DATA:
                break
            if isinstance(event, h11.Data):
                received += len(event.data)
            if isinstance(event, h11.EndOfMessage):
                break
    reply = b'{"ok": true, "items": [' + b",".join(b"%d" % i for i in range(k % 200)) + b"]}"
    if k % 2:
        out = server.send(h11.Response(status_code=200, headers=[
            (b"content-type", b"application/json"), (b"content-length", str(len(reply)).encode()),
            (b"server", b"h11-bench")]))
        out += server.send(h11.Data(data=reply))
    else:
        out = server.send(h11.Response(status_code=201, headers=[
            (b"content-type", b"application/json"), (b"transfer-encoding", b"chunked")]))
        for i in range(0, len(reply), 256):
            out += server.send(h11.Data(data=reply[i:i + 256]))
    out += server.send(h11.EndOfMessage())
    client.receive_data(out)
    got = 0
    while True:
        event = client.next_event()
        if event is h11.NEED_DATA or isinstance(event, h11.EndOfMessage):
            break
        if isinstance(event, h11.Data):
            got += len(event.data)
    client.start_next_cycle()
    server.start_next_cycle()
    return received + got


def main():
    t0 = time.perf_counter()
    total = 0
    for conn in range(300):
        client, server = h11.Connection(h11.CLIENT), h11.Connection(h11.SERVER)
        for k in range(60):
            total += exchange(client, server, conn * 60 + k)
    print(f"exchanges {300 * 60} bytes {total} in {time.perf_counter() - t0:.1f} s")


if __name__ == "__main__":
    main()
