export { ReplicaPool, type Replica, type ReplicaPoolOptions } from './replica-pool';
export { rendezvousOrder } from './rendezvous';
export { replicaSource, type ReplicaSource } from './replica-targets';
export { isReplicaFailure, streamWithFailover, withFailover } from './failover';
