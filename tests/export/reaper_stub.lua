-- A stand-in for REAPER's `reaper` API table, recording what a script does to the project.
-- usage: lua5.4 reaper_stub.lua SCRIPT SONG_FOLDER LENGTHS_FILE
-- LENGTHS_FILE holds "seconds path" lines: the length GetMediaSourceLength reports per file.
-- Prints one line per track, item, note, region and tempo marker (tab-separated).
local script, folder, lengths_file = arg[1], arg[2], arg[3]

local lengths = {}
for line in io.lines(lengths_file) do
  local seconds, path = line:match("^(%S+) (.+)$")
  lengths[path] = tonumber(seconds)
end

local project = {tracks = {}, regions = {}, tempo = {}, errors = {}, undo = 0}

local function check(cond, message) if not cond then error("stub: " .. message, 2) end end

reaper = {}
function reaper.CountTracks(proj) check(proj == 0, "project 0") return #project.tracks end
function reaper.InsertTrackAtIndex(index, defaults)
  check(index == #project.tracks, "tracks appended at the end")
  table.insert(project.tracks, index + 1, {name = "", items = {}})
end
function reaper.GetTrack(proj, index) return project.tracks[index + 1] end
function reaper.GetSetMediaTrackInfo_String(track, key, value, set)
  check(key == "P_NAME" and set, "sets the track name")
  track.name = value
  return true, value
end
function reaper.PCM_Source_CreateFromFile(path)
  check(lengths[path], "source file known: " .. tostring(path))
  return {path = path}
end
function reaper.GetMediaSourceLength(source) return lengths[source.path], false end
function reaper.AddMediaItemToTrack(track)
  local item = {kind = "audio", track = track, position = nil, length = nil, takes = {}}
  table.insert(track.items, item)
  return item
end
function reaper.AddTakeToMediaItem(item)
  local take = {item = item, notes = {}}
  table.insert(item.takes, take)
  return take
end
function reaper.SetMediaItemTake_Source(take, source) take.source = source; return true end
function reaper.SetMediaItemInfo_Value(item, key, value)
  if key == "D_POSITION" then item.position = value elseif key == "D_LENGTH" then item.length = value else error("stub: key " .. key) end
  return true
end
function reaper.CreateNewMIDIItemInProj(track, start_seconds, end_seconds, qn)
  check(not qn, "times in seconds")
  local item = {kind = "midi", track = track, position = start_seconds, length = end_seconds - start_seconds, takes = {}}
  item.takes[1] = {item = item, notes = {}, sorted = false}
  table.insert(track.items, item)
  return item
end
function reaper.GetActiveTake(item) return item.takes[1] end
function reaper.MIDI_GetPPQPosFromProjQN(take, qn)
  check(take.item.position == 0, "MIDI items start at 0 s (qn 0)")
  return qn * 960
end
function reaper.MIDI_InsertNote(take, selected, muted, start_ppq, end_ppq, channel, pitch, velocity, no_sort)
  table.insert(take.notes, {start_ppq, end_ppq, channel, pitch, velocity})
  return true
end
function reaper.MIDI_Sort(take) take.sorted = true end
function reaper.GetSetMediaItemTakeInfo_String(take, key, value, set) take.name = value; return true, value end
function reaper.SetTempoTimeSigMarker(proj, index, seconds, measure, beat, bpm, num, den, linear)
  check(index == -1 and measure == -1 and beat == -1 and not linear, "new square tempo marker by time")
  table.insert(project.tempo, {seconds, bpm, num, den})
  return true
end
function reaper.AddProjectMarker2(proj, is_region, start_seconds, end_seconds, name, index, color)
  check(is_region, "regions, not markers")
  table.insert(project.regions, {start_seconds, end_seconds, name})
  return index
end
function reaper.Undo_BeginBlock() project.undo = project.undo + 1 end
function reaper.Undo_EndBlock(text, flags) project.undo = project.undo + 10 end
function reaper.UpdateArrange() end
function reaper.ShowMessageBox(text, title, kind) table.insert(project.errors, text) return 1 end
function reaper.GetUserFileNameForRead() error("stub: no dialog in tests") end

LEMM_SONG_FOLDER = folder
dofile(script)

local function out(...) print(table.concat({...}, "\t")) end
for _, e in ipairs(project.errors) do out("ERROR", e) end
out("UNDO", project.undo)
for _, t in ipairs(project.tempo) do out("TEMPO", string.format("%.9f", t[1]), t[2], t[3], t[4]) end
for _, r in ipairs(project.regions) do out("REGION", string.format("%.9f", r[1]), string.format("%.9f", r[2]), r[3]) end
for index, track in ipairs(project.tracks) do
  out("TRACK", index - 1, track.name)
  for _, item in ipairs(track.items) do
    local take = item.takes[1]
    out("ITEM", track.name, item.kind, string.format("%.9f", item.position), string.format("%.9f", item.length),
        take.source and take.source.path or "-", tostring(take.sorted))
    for _, n in ipairs(take.notes) do out("NOTE", track.name, string.format("%.3f", n[1]), string.format("%.3f", n[2]), n[3], n[4], n[5]) end
  end
end
