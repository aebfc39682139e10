/** A Connection of the package to the simulator's default application, as engine-level tests and tools make one. */
import { Connection, type ConnectionOptions } from '../../src/graph/connection';
import type { Simulator } from '../simulator';

/** The simulator's default app as o365-config properties (the custom cloud on the simulator's URL), no secret. */
export function simAccountProperties(sim: Simulator) {
  return {
    tenantId: sim.tenantId,
    applicationId: sim.app.clientId,
    cloud: 'custom',
    authorityHost: sim.url,
    graphEndpoint: sim.url,
    authType: 'secret',
  };
}

/** A connection to the simulator that trusts its certificate; short retry waits unless `options` say otherwise. */
export function simConnection(sim: Simulator, options: ConnectionOptions = {}): Connection {
  return new Connection(
    { ...simAccountProperties(sim), clientSecret: sim.app.secrets?.[0]?.value },
    {
      ca: sim.ca,
      retry: { baseDelayMs: 5, maxDelayMs: 50 },
      ...options,
    },
  );
}
