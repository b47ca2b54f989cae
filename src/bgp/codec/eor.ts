// End-of-RIB markers (RFC 4724 section 2): an empty UPDATE for IPv4
// unicast, an UPDATE holding only an empty MP_UNREACH_NLRI otherwise.
import { Afi, type Family, MessageType, Safi, type UpdateMessage } from "./types";

export function endOfRib(family: Family): UpdateMessage {
  const u: UpdateMessage = { type: MessageType.Update, withdrawn: [], attributes: {}, nlri: [] };
  if (family.afi !== Afi.IPv4 || family.safi !== Safi.Unicast) {
    u.attributes.mpUnreach = { afi: family.afi, safi: family.safi, withdrawn: [] };
  }
  return u;
}

/**
 * The family this UPDATE marks the end of, or null. Only meaningful for an
 * UPDATE decoded without problems: a treat-as-withdraw UPDATE that had
 * nothing to withdraw is empty too, yet is no End-of-RIB.
 */
export function isEndOfRib(u: UpdateMessage): Family | null {
  if (u.withdrawn.length > 0 || u.nlri.length > 0) return null;
  const keys = Object.keys(u.attributes).filter(
    (k) => u.attributes[k as keyof typeof u.attributes] !== undefined,
  );
  if (keys.length === 0) return { afi: Afi.IPv4, safi: Safi.Unicast };
  const un = u.attributes.mpUnreach;
  if (keys.length === 1 && un && un.withdrawn.length === 0) return { afi: un.afi, safi: un.safi };
  return null;
}
