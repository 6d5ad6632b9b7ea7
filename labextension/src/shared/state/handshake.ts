/** The version handshake's verdict: what the sidebar tells the user. */
import type { IHandshake } from '../api/types';

export type HandshakeState =
  | { kind: 'pending' }
  | { kind: 'ok'; info: IHandshake }
  | { kind: 'mismatch'; info: IHandshake; server: string; client: string }
  | { kind: 'missing' }
  | { kind: 'error'; message: string };

export function judgeHandshake(info: IHandshake, clientVersion: string): HandshakeState {
  if (info.version !== clientVersion) {
    return { kind: 'mismatch', info, server: info.version, client: clientVersion };
  }
  return { kind: 'ok', info };
}

/** 404 from the API root: the server extension is not installed or not enabled. */
export function judgeHandshakeError(status: number | null, message: string): HandshakeState {
  if (status === 404) {
    return { kind: 'missing' };
  }
  return { kind: 'error', message };
}
