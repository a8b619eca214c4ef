package dev.iptv.stream;

/** Why a {@link ChannelRun} runs its {@link AttemptPlan}, which decides what the plan's outcome means. */
enum Occasion {
  START("started on demand", "cannot start", false),
  RESTART("FFmpeg died while watched", "restart failed", false),
  RELOAD("channel updated", "cannot run the changed channel", false),
  REPROBE("a stream appeared after the quick probe: probing the source fully", "cannot run the source with a full probe",
    false),
  /** {@link StallWatch} found it stalled: the same source again, or the next one after a second stall. */
  STALL("stalled", "cannot run the stalled channel again", true),
  /** An operator's force switch ({@code POST /api/stream/switch}): the next source. */
  SWITCH("switched through the API", "cannot switch the channel", true),
  /** {@code auto_restart_hours} of uptime ({@link AutoRestart}): the same source again. */
  SCHEDULED(AutoRestart.REASON, "cannot restart the channel on schedule", true),
  /** A source passed its check while the channel showed the slate ({@link ChannelSlate}): that source again. */
  RECOVER("a source is back: the slate is replaced by it", "the source that passed its check does not play", true);

  final String reason;
  final String failure;
  /**
   * The new FFmpeg goes on with the playlist the replaced one left ({@code append_list}, a
   * discontinuity), and the channel stays playable meanwhile: its viewers keep polling that playlist.
   */
  final boolean keepsPlaylist;

  /**
   * SIGTERM to SIGKILL of the FFmpeg a stall replaces. FFmpeg ends at SIGTERM between two reads, but
   * one stuck in a read from a frozen source waits for the read timeout (15 s); a second SIGTERM
   * would interrupt the read and also every write of its ending, leaving an empty playlist. Killed,
   * it leaves the playlist of its last segment, which the next FFmpeg goes on with.
   */
  static final long STALLED_GRACE_MS = 300;

  Occasion(String reason, String failure, boolean keepsPlaylist) {
    this.reason = reason;
    this.failure = failure;
    this.keepsPlaylist = keepsPlaylist;
  }

  /** How long the replaced FFmpeg gets between SIGTERM and SIGKILL. */
  long graceMs(StreamSettings s) {
    return this == STALL ? Math.min(STALLED_GRACE_MS, s.stopGraceMs()) : s.stopGraceMs();
  }
}
