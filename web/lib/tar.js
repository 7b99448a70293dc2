// A minimal POSIX ustar writer (POSIX.1-1988 / pax "ustar" interchange
// format), so editors unpack a bundle with standard tools. Nothing about the
// whistleblower's machine goes in: mtime 0, uid/gid 0, no user or group
// names, mode 0644, regular files only, names reduced to a safe base name.
const BLOCK = 512;
const te = new TextEncoder();

// ustar's name field is 100 bytes; we never use the prefix field, so names
// stay a single path component.
const NAME_MAX = 100;

function octal(value, width) {
  // width − 1 octal digits and a NUL terminator.
  const s = value.toString(8);
  if (s.length > width - 1) throw new Error("tar: value too large for its field");
  return s.padStart(width - 1, "0") + "\0";
}

function truncateUtf8(name, maxBytes) {
  let out = "";
  for (const ch of name) {
    if (te.encode(out + ch).length > maxBytes) break;
    out += ch;
  }
  return out;
}

/**
 * A safe member name from a file name a browser reports: the last path
 * component, without control characters or slashes, not "." or "..",
 * at most 100 UTF-8 bytes (the extension is kept when shortening).
 */
export function safeName(name) {
  let n = String(name ?? "").split(/[\\/]/).pop();
  n = n.replace(/[\u0000-\u001f\u007f]/g, "").trim();
  if (n === "" || n === "." || n === "..") n = "file";
  if (te.encode(n).length > NAME_MAX) {
    const dot = n.lastIndexOf(".");
    const ext = dot > 0 && n.length - dot <= 16 ? n.slice(dot) : "";
    n = truncateUtf8(n.slice(0, n.length - ext.length), NAME_MAX - te.encode(ext).length) + ext;
  }
  return n;
}

/** Makes names unique: "a.txt", "a (2).txt", … */
export function uniqueNames(names) {
  const seen = new Set();
  return names.map((raw) => {
    const base = safeName(raw);
    let n = base;
    for (let i = 2; seen.has(n); i++) {
      const dot = base.lastIndexOf(".");
      const stem = dot > 0 ? base.slice(0, dot) : base;
      const ext = dot > 0 ? base.slice(dot) : "";
      n = safeName(`${stem} (${i})${ext}`);
    }
    seen.add(n);
    return n;
  });
}

/** The 512-byte ustar header of a regular file. */
export function tarHeader(name, size) {
  const h = new Uint8Array(BLOCK);
  const put = (offset, text) => h.set(te.encode(text), offset);
  const nameBytes = te.encode(name);
  if (nameBytes.length === 0 || nameBytes.length > NAME_MAX) throw new Error("tar: bad member name");
  h.set(nameBytes, 0);
  put(100, octal(0o644, 8)); // mode
  put(108, octal(0, 8)); // uid
  put(116, octal(0, 8)); // gid
  put(124, octal(size, 12)); // size (11 octal digits: < 8 GiB)
  put(136, octal(0, 12)); // mtime
  put(148, "        "); // checksum field counts as spaces
  put(156, "0"); // typeflag: regular file
  put(257, "ustar\0"); // magic
  put(263, "00"); // version
  // uname, gname, devmajor, devminor, prefix: left empty (zero).
  let sum = 0;
  for (const b of h) sum += b;
  put(148, sum.toString(8).padStart(6, "0") + "\0 ");
  return h;
}

const padding = (size) => new Uint8Array((BLOCK - (size % BLOCK)) % BLOCK);

/**
 * The parts of a tar archive (Uint8Array headers and padding around the
 * given contents, which may be Blobs or Uint8Arrays) for new Blob(parts).
 * entries: [{ name, data, size }]; names must already be unique.
 */
export function tarParts(entries) {
  const parts = [];
  for (const { name, data, size } of entries) {
    parts.push(tarHeader(name, size), data, padding(size));
  }
  parts.push(new Uint8Array(2 * BLOCK)); // end of archive
  return parts;
}

/** The size of the archive tarParts makes. */
export function tarSize(sizes) {
  return sizes.reduce((n, s) => n + BLOCK + s + ((BLOCK - (s % BLOCK)) % BLOCK), 0) + 2 * BLOCK;
}

/** A whole archive as one Uint8Array (entries' data as Uint8Arrays). */
export function tarBytes(entries) {
  const parts = tarParts(entries);
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}
