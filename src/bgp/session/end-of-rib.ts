// RFC 4724 End-of-RIB marker: an empty UPDATE for IPv4 unicast, an UPDATE
// with an empty MP_UNREACH_NLRI for any other family.
import { Afi, type Family, MessageType, Safi, type UpdateMessage } from "../codec/types";

export function endOfRibUpdate(family: Family): UpdateMessage {
  if (family.afi === Afi.IPv4 && family.safi === Safi.Unicast) {
    return { type: MessageType.Update, withdrawn: [], attributes: {}, nlri: [] };
  }
  return {
    type: MessageType.Update,
    withdrawn: [],
    attributes: { mpUnreach: { afi: family.afi, safi: family.safi, withdrawn: [] } },
    nlri: [],
  };
}
