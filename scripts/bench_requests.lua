-- wrk script for `make bench` (scripts/bench/load.py writes the request file):
--
--   wrk -t2 -c16 -d10s -s scripts/bench_requests.lua http://127.0.0.1:PORT -- FILE THREADS
--
-- FILE has one request a line, four fields separated by tabs: method, path, headers
-- ("Name: value" pairs separated by the byte 0x1e) and body (may be empty). Each thread
-- starts at its own place in the list and rotates through all of it, one request after
-- another. done() prints one line "BENCH_RESULT {json}" with the figures bench/load.py reads.

local counter = 0
local requests = {}
local index = 1

function setup(thread)
   thread:set("thread_number", counter)
   counter = counter + 1
end

local function parse_headers(text)
   local headers = {}
   for pair in string.gmatch(text, "[^\30]+") do
      local name, value = string.match(pair, "^([^:]+):%s*(.*)$")
      if name then
         headers[name] = value
      end
   end
   return headers
end

function init(args)
   local file = assert(args[1], "usage: -- FILE THREADS")
   local threads = tonumber(args[2] or "1")
   for line in io.lines(file) do
      local method, path, headers, body = string.match(line, "^([^\t]*)\t([^\t]*)\t([^\t]*)\t(.*)$")
      if method then
         if body == "" then
            body = nil
         end
         requests[#requests + 1] = wrk.format(method, path, parse_headers(headers), body)
      end
   end
   assert(#requests > 0, "no requests in " .. file)
   local me = thread_number or 0
   index = (me * math.floor(#requests / threads)) % #requests + 1
end

function request()
   local next_request = requests[index]
   index = index % #requests + 1
   return next_request
end

function done(summary, latency, requests)
   local e = summary.errors
   io.write(string.format(
      'BENCH_RESULT {"requests": %d, "duration_us": %d, "bytes": %d, "p50_us": %d, '
         .. '"p95_us": %d, "p99_us": %d, "max_us": %d, "mean_us": %.1f, "connect": %d, '
         .. '"read": %d, "write": %d, "status": %d, "timeout": %d}\n',
      summary.requests, summary.duration, summary.bytes,
      latency:percentile(50), latency:percentile(95), latency:percentile(99),
      latency.max, latency.mean, e.connect, e.read, e.write, e.status, e.timeout
   ))
end
