-- lemm.lua: put a lemm song folder into the open REAPER project as real items.
--
-- Run it from REAPER (Actions > Load ReaScript...), pick the song folder's song.json.
-- It reads song.json (the score: tempo map, meters, sections, tracks and notes) and
-- the audio files beside it, then, in one undo step:
--   * sets the project's tempo/meter markers from lemm's tempo map;
--   * adds one region per section, named as the section;
--   * per part: a track named as the part with its audio item at song position 0
--     (printed/<name>.flac, the part as lemm mixed it, else stems/<name>.wav), and a
--     track "<name> (MIDI)" with a MIDI item holding the part's notes at their positions;
--   * a track per shared return (printed/returns/reverb.flac, delay.flac) when present.
--   (An older folder's printed .wav files are used where no .flac is there.)
-- Positions come from the score's ticks through its tempo map (seconds) or as quarter
-- notes (MIDI), so the items line up with lemm's mix.
--
-- Set the global LEMM_SONG_FOLDER before running to skip the file dialog (scripts, tests).

local lemm = {}

---------------------------------------------------------------------------------------------
-- A small JSON reader (objects, arrays, strings with escapes, numbers, true/false/null).
local json_null = setmetatable({}, {__tostring = function() return "null" end})
lemm.json_null = json_null

local function json_error(text, i, what)
  error(string.format("song.json: %s at byte %d", what, i), 0)
end

local function skip(text, i)
  local _, e = text:find("^[ \n\r\t]*", i)
  return e + 1
end

local decode_value

local function utf8_char(code)
  return utf8.char(code)
end

local function decode_string(text, i)
  local out, j = {}, i + 1
  while true do
    local c = text:sub(j, j)
    if c == "" then json_error(text, j, "unterminated string") end
    if c == '"' then return table.concat(out), j + 1 end
    if c == "\\" then
      local e = text:sub(j + 1, j + 1)
      local map = {['"'] = '"', ["\\"] = "\\", ["/"] = "/", b = "\b", f = "\f", n = "\n", r = "\r", t = "\t"}
      if map[e] then
        out[#out + 1] = map[e]; j = j + 2
      elseif e == "u" then
        local code = tonumber(text:sub(j + 2, j + 5), 16)
        if not code then json_error(text, j, "bad \\u escape") end
        j = j + 6
        if code >= 0xD800 and code <= 0xDBFF and text:sub(j, j + 1) == "\\u" then
          local low = tonumber(text:sub(j + 2, j + 5), 16)
          if low and low >= 0xDC00 and low <= 0xDFFF then
            code = 0x10000 + (code - 0xD800) * 0x400 + (low - 0xDC00); j = j + 6
          end
        end
        out[#out + 1] = utf8_char(code)
      else
        json_error(text, j, "bad escape")
      end
    else
      local k = text:find('["\\]', j)
      if not k then json_error(text, j, "unterminated string") end
      out[#out + 1] = text:sub(j, k - 1); j = k
    end
  end
end

decode_value = function(text, i)
  i = skip(text, i)
  local c = text:sub(i, i)
  if c == "{" then
    local object = {}
    i = skip(text, i + 1)
    if text:sub(i, i) == "}" then return object, i + 1 end
    while true do
      if text:sub(i, i) ~= '"' then json_error(text, i, "expected a key") end
      local key; key, i = decode_string(text, i)
      i = skip(text, i)
      if text:sub(i, i) ~= ":" then json_error(text, i, "expected ':'") end
      object[key], i = decode_value(text, i + 1)
      i = skip(text, i)
      local d = text:sub(i, i)
      if d == "}" then return object, i + 1 end
      if d ~= "," then json_error(text, i, "expected ',' or '}'") end
      i = skip(text, i + 1)
    end
  elseif c == "[" then
    local array = {}
    i = skip(text, i + 1)
    if text:sub(i, i) == "]" then return array, i + 1 end
    while true do
      array[#array + 1], i = decode_value(text, i)
      i = skip(text, i)
      local d = text:sub(i, i)
      if d == "]" then return array, i + 1 end
      if d ~= "," then json_error(text, i, "expected ',' or ']'") end
      i = i + 1
    end
  elseif c == '"' then
    return decode_string(text, i)
  elseif text:sub(i, i + 3) == "true" then return true, i + 4
  elseif text:sub(i, i + 4) == "false" then return false, i + 5
  elseif text:sub(i, i + 3) == "null" then return json_null, i + 4
  else
    local number = text:match("^-?%d+%.?%d*[eE]?[-+]?%d*", i)
    if not number or number == "" then json_error(text, i, "unexpected character") end
    return tonumber(number), i + #number
  end
end

function lemm.decode_json(text)
  local value, i = decode_value(text, 1)
  if skip(text, i) <= #text then json_error(text, i, "trailing characters") end
  return value
end

---------------------------------------------------------------------------------------------
-- Time: score ticks -> quarter notes -> seconds through the tempo map.
function lemm.tempo_map(score)
  local resolution = score.resolution
  local points = {}
  for _, t in ipairs(score.tempos) do points[#points + 1] = {tick = t.tick, bpm = t.tempo_bpm} end
  table.sort(points, function(a, b) return a.tick < b.tick end)
  local seconds = 0.0
  for k, p in ipairs(points) do
    if k > 1 then
      local prev = points[k - 1]
      seconds = seconds + (p.tick - prev.tick) / resolution * 60.0 / prev.bpm
    end
    p.seconds = seconds
  end
  return {resolution = resolution, points = points}
end

function lemm.tick_seconds(map, tick)
  local at = map.points[1]
  for _, p in ipairs(map.points) do
    if p.tick <= tick then at = p else break end
  end
  return at.seconds + (tick - at.tick) / map.resolution * 60.0 / at.bpm
end

---------------------------------------------------------------------------------------------
local function file_exists(path)
  local f = io.open(path, "rb")
  if f then f:close() return true end
  return false
end

-- base .. suffix for the first suffix whose file exists, else nil
local function first_existing(base, suffixes)
  for _, suffix in ipairs(suffixes) do
    if file_exists(base .. suffix) then return base .. suffix end
  end
  return nil
end

local function read_file(path)
  local f, err = io.open(path, "rb")
  if not f then error("lemm: cannot read " .. path .. ": " .. tostring(err), 0) end
  local text = f:read("a")
  f:close()
  return text
end

local function new_track(name)
  local index = reaper.CountTracks(0)
  reaper.InsertTrackAtIndex(index, true)
  local track = reaper.GetTrack(0, index)
  reaper.GetSetMediaTrackInfo_String(track, "P_NAME", name, true)
  return track
end

local function audio_item(track, path, position_seconds)
  local source = reaper.PCM_Source_CreateFromFile(path)
  local item = reaper.AddMediaItemToTrack(track)
  local take = reaper.AddTakeToMediaItem(item)
  reaper.SetMediaItemTake_Source(take, source)
  local length = reaper.GetMediaSourceLength(source)
  reaper.SetMediaItemInfo_Value(item, "D_POSITION", position_seconds)
  reaper.SetMediaItemInfo_Value(item, "D_LENGTH", length)
  return item
end

local function midi_item(track, part, map, end_tick)
  local item = reaper.CreateNewMIDIItemInProj(track, 0.0, lemm.tick_seconds(map, end_tick), false)
  local take = reaper.GetActiveTake(item)
  local channel = part.is_drum and 9 or 0
  for _, n in ipairs(part.notes) do
    local start_ppq = reaper.MIDI_GetPPQPosFromProjQN(take, n.start_tick / map.resolution)
    local end_ppq = reaper.MIDI_GetPPQPosFromProjQN(take, (n.start_tick + n.duration_ticks) / map.resolution)
    reaper.MIDI_InsertNote(take, false, false, start_ppq, end_ppq, channel, n.pitch, n.velocity, true)
  end
  reaper.MIDI_Sort(take)
  reaper.GetSetMediaItemTakeInfo_String(take, "P_NAME", part.name, true)
  return item
end

local function score_end_tick(score)
  local last = 0
  for _, s in ipairs(score.sections) do last = math.max(last, s.start_tick + s.duration_ticks) end
  for _, t in ipairs(score.tracks) do
    for _, n in ipairs(t.notes) do last = math.max(last, n.start_tick + n.duration_ticks) end
  end
  return last
end

-- Place the song in `folder` into the current project; returns the number of items added.
function lemm.place_song(folder)
  local song = lemm.decode_json(read_file(folder .. "/song.json"))
  local score = song.score
  if type(score) ~= "table" or type(score.tracks) ~= "table" then error("lemm: " .. folder .. "/song.json holds no score", 0) end
  local map = lemm.tempo_map(score)
  local meters = {}
  for _, m in ipairs(score.meters) do meters[m.tick] = m end
  local ticks, seen = {}, {}
  for _, p in ipairs(map.points) do if not seen[p.tick] then ticks[#ticks + 1] = p.tick; seen[p.tick] = true end end
  for _, m in ipairs(score.meters) do if not seen[m.tick] then ticks[#ticks + 1] = m.tick; seen[m.tick] = true end end
  table.sort(ticks)
  local added = 0
  reaper.Undo_BeginBlock()
  for _, tick in ipairs(ticks) do
    local at = map.points[1]
    for _, p in ipairs(map.points) do if p.tick <= tick then at = p end end
    local m = meters[tick]
    reaper.SetTempoTimeSigMarker(0, -1, lemm.tick_seconds(map, tick), -1, -1, at.bpm, m and m.numerator or 0, m and m.denominator or 0, false)
  end
  for index, s in ipairs(score.sections) do
    reaper.AddProjectMarker2(0, true, lemm.tick_seconds(map, s.start_tick), lemm.tick_seconds(map, s.start_tick + s.duration_ticks), s.name, index, 0)
  end
  local end_tick = score_end_tick(score)
  for _, part in ipairs(score.tracks) do
    local path = first_existing(folder .. "/printed/" .. part.name, {".flac", ".wav"})
      or first_existing(folder .. "/stems/" .. part.name, {".wav"})
    if path then
      audio_item(new_track(part.name), path, 0.0)
      added = added + 1
    end
    if #part.notes > 0 then
      midi_item(new_track(part.name .. " (MIDI)"), part, map, end_tick)
      added = added + 1
    end
  end
  for _, name in ipairs({"reverb", "delay"}) do
    local path = first_existing(folder .. "/printed/returns/" .. name, {".flac", ".wav"})
    if path then
      audio_item(new_track(name .. " return"), path, 0.0)
      added = added + 1
    end
  end
  reaper.Undo_EndBlock("lemm: place " .. (score.title ~= "" and score.title or folder), -1)
  reaper.UpdateArrange()
  return added
end

local function main()
  local folder = LEMM_SONG_FOLDER
  if not folder then
    local ok, path = reaper.GetUserFileNameForRead("", "lemm: pick the song folder's song.json", "json")
    if not ok then return end
    folder = path:match("^(.*)[/\\][^/\\]*$") or "."
  end
  local ok, err = pcall(lemm.place_song, folder)
  if not ok then reaper.ShowMessageBox(tostring(err), "lemm", 0) end
end

if not LEMM_NO_RUN then main() end
return lemm
