// An IPTV app's view of the server, through a real Xtream Codes client library
// (@iptv/xtream-api, pinned in package-lock.json): only the library's own API, no hand-made HTTP.
//
//   node client.mjs BASE_URL USERNAME PASSWORD app    log in, categories, channels, short EPG, stream URLs
//   node client.mjs BASE_URL USERNAME PASSWORD wrong  what the library reports for refused credentials
//
// Prints one JSON object on its last line (dates as ISO strings; an unreadable date as null).
// XtreamClientTest runs it against the all-in-one server and asserts on what the library returned.
import { Xtream } from '@iptv/xtream-api';
import { standardizedSerializer } from '@iptv/xtream-api/standardized';

const [url, username, password, mode = 'app'] = process.argv.slice(2);
if (!url || !username || !password) {
  console.error('usage: node client.mjs BASE_URL USERNAME PASSWORD [app|wrong]');
  process.exit(2);
}

// The raw client answers the server's JSON as it came; the standardized one is what apps built on
// the library use: typed fields, base64 decoded, epoch strings made Dates.
const raw = new Xtream({ url, username, password });
const std = new Xtream({ url, username, password, serializer: standardizedSerializer });
const hls = new Xtream({ url, username, password, preferredFormat: 'm3u8', serializer: standardizedSerializer });

/** The library decodes base64 with atob: bytes as Latin-1 characters. An app shows them as UTF-8. */
const utf8 = (s) => (typeof s === 'string' ? Buffer.from(s, 'latin1').toString('utf8') : s);

async function attempt(fn) {
  try {
    return { ok: true, value: await fn() };
  } catch (e) {
    return { ok: false, error: String(e && e.message ? e.message : e), type: e && e.name };
  }
}

async function app() {
  const rawProfile = await raw.getProfile();
  const rawServer = await raw.getServerInfo();
  const profile = await std.getProfile();
  const server = await std.getServerInfo();
  const categories = await std.getChannelCategories();
  const channels = await std.getChannels();
  const byCategory = {};
  for (const c of categories) {
    byCategory[c.id] = (await std.getChannels({ categoryId: c.id })).map((ch) => ch.name);
  }
  const hlsChannels = await hls.getChannels();
  const epg = {};
  for (const ch of channels) {
    const listings = await std.getShortEPG({ channelId: ch.id, limit: 4 });
    epg[ch.id] = listings.map((p) => ({ ...p, titleUtf8: utf8(p.title), descriptionUtf8: utf8(p.description) }));
  }
  const rawEpg = channels.length ? await raw.getShortEPG({ channelId: channels[0].id }) : null;
  const built = channels.length
    ? std.generateStreamUrl({ type: 'channel', streamId: Number(channels[0].id), extension: 'ts' })
    : null;
  return {
    rawProfile, rawServer, profile, server, categories, channels, byCategory,
    hlsUrls: hlsChannels.map((ch) => ch.url), epg, rawEpg, generatedTsUrl: built,
    types: {
      rawAuth: typeof rawProfile.auth,
      rawExpDate: typeof rawProfile.exp_date,
      rawMaxConnections: typeof rawProfile.max_connections,
      rawTimestampNow: typeof rawServer.timestamp_now,
      channelIds: channels.map((ch) => typeof ch.id),
      numbers: channels.map((ch) => typeof ch.number),
    },
  };
}

async function wrong() {
  return {
    profile: await attempt(() => raw.getProfile()),
    stdProfile: await attempt(() => std.getProfile()),
  };
}

const result = mode === 'wrong' ? await wrong() : await app();
process.stdout.write('\n' + JSON.stringify(result) + '\n');
