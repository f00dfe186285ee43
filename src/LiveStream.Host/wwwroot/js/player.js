// @ts-check
// The video: live HLS through hls.js (vendored from npm into /lib at build time), the MP4 recording natively.
// @ts-ignore: the file is copied from the pinned npm package at build time; the checker cannot resolve a site path.
import Hls from '/lib/hls.min.mjs';

/** How long a just-live session's playlist may still be missing before the player gives up. */
const manifestRetryWindowMs = 20000;

/**
 * Plays a live HLS URL in the video element. A playlist answering 404 right after going live is retried for a few
 * seconds (hls.js gives up on a 404 manifest at once). Returns a function that stops it.
 * @param {HTMLVideoElement} video
 * @param {string} url
 * @param {(message: string) => void} onProblem
 * @returns {() => void}
 */
export function playLive(video, url, onProblem) {
  video.muted = true; // browsers only autoplay muted; the controls unmute
  if (!Hls.isSupported()) {
    if (video.canPlayType('application/vnd.apple.mpegurl')) {
      video.src = url;
      void video.play().catch(() => {});
      return () => video.removeAttribute('src');
    }
    onProblem('This browser cannot play live video.');
    return () => {};
  }
  const hls = new Hls({ liveDurationInfinity: true });
  const giveUpAt = Date.now() + manifestRetryWindowMs;
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let retry;
  hls.on(Hls.Events.ERROR, (_event, data) => {
    if (!data.fatal) return;
    if (data.type === Hls.ErrorTypes.NETWORK_ERROR && Date.now() < giveUpAt) {
      retry = setTimeout(() => hls.loadSource(url), 1000);
    } else if (data.type === Hls.ErrorTypes.MEDIA_ERROR) {
      hls.recoverMediaError();
    } else {
      onProblem('The live video could not be loaded.');
    }
  });
  hls.on(Hls.Events.MANIFEST_PARSED, () => void video.play().catch(() => {}));
  hls.attachMedia(video);
  hls.loadSource(url);
  return () => {
    clearTimeout(retry);
    hls.destroy();
  };
}

/**
 * Plays the recording (MP4).
 * @param {HTMLVideoElement} video
 * @param {string} url
 * @returns {() => void}
 */
export function playRecording(video, url) {
  video.muted = true;
  video.src = url;
  void video.play().catch(() => {});
  return () => video.removeAttribute('src');
}
