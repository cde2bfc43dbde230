-- Session script for tests/hosts/ardour_vst3.py, run by Debian's `ardour7-lua`
-- (Ardour's headless Lua session tool, Dummy audio backend, no GUI).
--
--   ardour7-lua ardour_session.lua SESSION_DIR PLUGIN_NAME SECONDS INTERVAL SOURCE [PLAYER] [PLUGIN_TYPE]
--
-- Builds a session with one stereo audio track: a source processor (SOURCE =
-- "noise": the bundled "ACE Noise"; otherwise the path of a raw mono float32
-- little-endian file played by the Lua DSP processor PLAYER), then the plugin
-- under test. Rolls the transport for SECONDS and samples every parameter of
-- the plugin every INTERVAL seconds; the editor is never opened.
--
-- Everything the driver parses is on stdout, one event per line:
--   MOODTAP {"event": ..., ...}      (flat JSON objects)
-- Other lines (Ardour's own [WARNING]/[ERROR] output) are informational.

local SESSION_DIR = arg[1]
local PLUGIN_NAME = arg[2] or "moodtap"
local SECONDS = tonumber (arg[3] or "12")
local INTERVAL = tonumber (arg[4] or "0.5")
local SOURCE = arg[5] or "noise"
local PLAYER = arg[6] or "moodtap test player"
local PLUGIN_TYPE = arg[7] or "VST3"

local t_start = ARDOUR.LuaAPI.monotonic_time ()
local function wall () return (ARDOUR.LuaAPI.monotonic_time () - t_start) / 1e6 end

-- ---------------------------------------------------------------- output
local function jval (v)
	local t = type (v)
	if t == "number" then
		if v ~= v or v == math.huge or v == -math.huge then return "null" end
		if math.type and math.type (v) == "integer" then return tostring (v) end
		return string.format ("%.9g", v)
	elseif t == "boolean" then
		return v and "true" or "false"
	elseif v == nil then
		return "null"
	elseif t == "table" then
		local parts = {}
		for i = 1, #v do parts[#parts + 1] = jval (v[i]) end
		return "[" .. table.concat (parts, ",") .. "]"
	end
	local s = tostring (v):gsub ('[%c"\\]', function (c)
		if c == '"' then return '\\"' elseif c == "\\" then return "\\\\" end
		return string.format ("\\u%04x", string.byte (c))
	end)
	return '"' .. s .. '"'
end

-- emit ("event", k1, v1, k2, v2, ...) keeps the key order
local function emit (event, ...)
	local kv = { ... }
	local parts = { '"event":' .. jval (event), '"wall":' .. jval (wall ()) }
	for i = 1, #kv, 2 do
		parts[#parts + 1] = jval (kv[i]) .. ":" .. jval (kv[i + 1])
	end
	print ("MOODTAP {" .. table.concat (parts, ",") .. "}")
end

local session_open = false
local function fail (msg)
	emit ("error", "message", msg)
	if session_open then
		close_session ()
	end
	emit ("done", "ok", false)
	error (msg, 0) -- ends the script; ardour7-lua then exits non-zero
end

-- ---------------------------------------------------------------- session
if not SESSION_DIR then
	fail ("usage: ardour_session.lua SESSION_DIR PLUGIN_NAME SECONDS INTERVAL SOURCE [PLAYER] [PLUGIN_TYPE]")
end

-- "mono": CLOCK_MONOTONIC in seconds, comparable with Python's time.monotonic ()
emit ("start", "mono", t_start / 1e6, "plugin", PLUGIN_NAME, "type", PLUGIN_TYPE, "source", SOURCE)

local s = create_session (SESSION_DIR, "moodtap", 48000)
if not s then fail ("create_session failed for " .. SESSION_DIR) end
session_open = true
local rate = Session:nominal_sample_rate ()
emit ("session", "rate", rate, "backend", AudioEngine:current_backend_name ())

local tl = Session:new_audio_track (2, 2, nil, 1, "moodtap", ARDOUR.PresentationInfo.max_order, ARDOUR.TrackMode.Normal, true)
if tl:size () ~= 1 then fail ("new_audio_track failed") end
local track = tl:front ()

-- the source
local src
if SOURCE == "noise" then
	src = ARDOUR.LuaAPI.new_luaproc (Session, "ACE Noise")
	if src:isnil () then fail ("cannot instantiate the 'ACE Noise' Lua processor") end
	-- pink noise at -18 dBFS (set explicitly: new_luaproc leaves the controls at 0)
	ARDOUR.LuaAPI.set_processor_param (src, 0, -18)
	ARDOUR.LuaAPI.set_processor_param (src, 1, 2)
else
	src = ARDOUR.LuaAPI.new_luaproc (Session, PLAYER)
	if src:isnil () then fail ("cannot instantiate the Lua processor '" .. PLAYER .. "' (not in the Lua scripts path?)") end
end
if track:add_processor_by_index (src, 0, nil, true) ~= 0 then fail ("cannot add the source processor") end

local n_loaded = 0
if SOURCE ~= "noise" then
	-- Copy the raw float32 file into the player's shared memory: int slot 0
	-- holds the length (written last, so the DSP never reads a partial
	-- buffer), floats start at slot 1. The player allocated 1 + 20 s.
	local f = io.open (SOURCE, "rb")
	if not f then fail ("cannot open " .. SOURCE) end
	local data = f:read ("a")
	f:close ()
	local shm = src:to_insert ():plugin (0):to_luaproc ():shmem ()
	local n = math.min (#data // 4, rate * 20)
	local CH = 1024
	local off = 0
	while off < n do
		local k = math.min (CH, n - off)
		local vals = { string.unpack ("<" .. string.rep ("f", k), data, off * 4 + 1) }
		vals[#vals] = nil -- the next position
		shm:to_float (1 + off):set_table (vals, k)
		off = off + k
	end
	shm:atomic_set_int (0, n)
	n_loaded = n
end
emit ("source", "kind", SOURCE == "noise" and "noise" or "file", "samples", n_loaded)

-- the plugin under test
local ptype = ARDOUR.PluginType[PLUGIN_TYPE]
local proc = ARDOUR.LuaAPI.new_plugin (Session, PLUGIN_NAME, ptype, "")
if proc:isnil () then
	fail ("cannot instantiate " .. PLUGIN_TYPE .. " plugin '" .. PLUGIN_NAME .. "' (not scanned / not in Ardour's plugin cache?)")
end
if track:add_processor_by_index (proc, 1, nil, true) ~= 0 then fail ("cannot add the plugin to the track") end
local pi = proc:to_insert ()
local plug = pi:plugin (0)
emit ("plugin", "name", plug:name (), "unique_id", plug:unique_id (), "maker", plug:maker (),
	"inputs", pi:natural_input_streams ():n_audio (), "outputs", pi:natural_output_streams ():n_audio ())

-- processor order, for the record
local order = {}
local i = 0
while true do
	local p = track:nth_processor (i)
	if p:isnil () then break end
	order[#order + 1] = p:display_name ()
	i = i + 1
end
emit ("processors", "order", order)

-- every parameter: index, name, output?
-- `index` is the plugin's control id; LuaAPI.get_plugin_insert_param takes
-- the ordinal among control parameters (the same number for VST3).
local params = {}
local function param_value (nth)
	local v = ARDOUR.LuaAPI.get_plugin_insert_param (pi, nth, false)
	return v
end
for j = 0, plug:parameter_count () - 1 do
	if plug:parameter_is_control (j) then
		local pd = ARDOUR.ParameterDescriptor ()
		local _, t = plug:get_parameter_descriptor (j, pd)
		pd = t[2]
		local nth = #params
		params[#params + 1] = nth
		emit ("param", "index", j, "nth", nth, "name", plug:parameter_label (j),
			"is_output", plug:parameter_is_output (j), "is_input", plug:parameter_is_input (j),
			"lower", pd.lower, "upper", pd.upper, "default", pd.normal, "value", param_value (nth))
	end
end

-- ---------------------------------------------------------------- roll
-- the track's peak meter (post-fader): MIDI channels come first (moodtap has
-- a MIDI output), so the audio channels start at n_midi.
local function level_db ()
	local pm = track:peak_meter ()
	local st = pm:input_streams ()
	local db = nil
	for c = st:n_midi (), st:n_midi () + st:n_audio () - 1 do
		local l = pm:meter_level (c, ARDOUR.MeterType.MeterPeak)
		if not db or l > db then db = l end
	end
	return db
end

local function sample (tag)
	local vals = {}
	for _, nth in ipairs (params) do vals[#vals + 1] = param_value (nth) end
	emit (tag, "t", Session:transport_sample () / rate, "rolling", Session:transport_rolling (),
		"level_db", level_db (), "values", vals)
end

sample ("before_roll")
Session:request_roll (ARDOUR.TransportRequestSource.TRS_UI)
local roll_wall = wall ()
emit ("roll")
local n = math.floor (SECONDS / INTERVAL + 0.5)
for k = 1, n do
	-- sleep to the k-th tick of wall time since the roll request (no drift)
	local due = roll_wall + k * INTERVAL
	local now = wall ()
	if due > now then ARDOUR.LuaAPI.usleep (math.floor ((due - now) * 1e6)) end
	sample ("sample")
end
Session:request_stop (false, false, ARDOUR.TransportRequestSource.TRS_UI)
ARDOUR.LuaAPI.usleep (200000)
emit ("stopped", "t", Session:transport_sample () / rate)

-- no save: the session is thrown away
close_session ()
session_open = false
emit ("done", "ok", true)
