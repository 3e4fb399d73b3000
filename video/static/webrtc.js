// WHIP publishing and WHEP viewing from the browser (plain JS, no build step).
// The psn server answers with every ICE candidate and does not take trickled ones,
// so the offer is sent once ICE gathering is complete.
"use strict";

// A WHEP offer to a psn instance that does not hold the stream is answered 409 with the holder's URL in
// `Location` (docs/video.md, "Where a stream lives"): the same offer goes there, once.
async function psnNegotiate(pc, url, token) {
  await pc.setLocalDescription(await pc.createOffer());
  if (pc.iceGatheringState !== "complete") {
    await new Promise((resolve) => {
      const done = () => pc.iceGatheringState === "complete" && resolve();
      pc.addEventListener("icegatheringstatechange", done);
      setTimeout(resolve, 2000); // gathering can stall on unusable interfaces: send what we have
    });
  }
  const auth = token ? { Authorization: `Bearer ${token}` } : {};
  const offer = (target) =>
    fetch(target, { method: "POST", headers: { "Content-Type": "application/sdp", ...auth }, body: pc.localDescription.sdp });
  let response = await offer(url);
  if (response.status === 409 && response.headers.get("Location")) {
    url = new URL(response.headers.get("Location"), new URL(url, location.href)).href;
    response = await offer(url);
  }
  if (response.status !== 201) {
    const text = await response.text();
    pc.close();
    throw new Error(`${url}: ${response.status} ${text}`);
  }
  const session = new URL(response.headers.get("Location"), new URL(url, location.href)).href;
  await pc.setRemoteDescription({ type: "answer", sdp: await response.text() });
  return {
    pc,
    session,
    async stop() {
      pc.close();
      await fetch(session, { method: "DELETE", headers: auth });
    },
  };
}

// Publish a MediaStream (e.g. from getUserMedia) to `${base}/whip/${stream}`.
async function psnWhipPublish(base, stream, mediaStream, token) {
  const pc = new RTCPeerConnection();
  for (const track of mediaStream.getTracks()) pc.addTransceiver(track, { direction: "sendonly" });
  return psnNegotiate(pc, `${base}/whip/${encodeURIComponent(stream)}`, token);
}

// Watch `${base}/whep/${stream}` in a <video> element.
async function psnWhepView(base, stream, video, token, { audio = false } = {}) {
  const pc = new RTCPeerConnection();
  pc.addTransceiver("video", { direction: "recvonly" });
  if (audio) pc.addTransceiver("audio", { direction: "recvonly" });
  const media = new MediaStream();
  pc.addEventListener("track", (event) => {
    media.addTrack(event.track);
    video.srcObject = media;
  });
  return psnNegotiate(pc, `${base}/whep/${encodeURIComponent(stream)}`, token);
}
