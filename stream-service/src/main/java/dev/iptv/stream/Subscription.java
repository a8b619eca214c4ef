package dev.iptv.stream;

/** A listener's registration ({@link PlaylistWatcher}, {@link StreamEvents}): cancelled once its answer is known. */
@FunctionalInterface
interface Subscription {

  /** Nothing more is told to the listener; cancelling twice does nothing. */
  void cancel();
}
