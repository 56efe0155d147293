import { spawnSync } from 'node:child_process';
import { parseAllDocuments } from 'yaml';

/** The parts of rendered Kubernetes objects the manifest tests read. */
export interface Meta {
  name: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: unknown[];
}
export interface Probe {
  grpc?: { port: number; service?: string };
  httpGet?: { path?: string; port: number | string; host?: string; scheme?: string; httpHeaders?: unknown[] };
  tcpSocket?: unknown;
  exec?: unknown;
  periodSeconds?: number;
  failureThreshold?: number;
}
export interface Container {
  name: string;
  image: string;
  command?: string[];
  args?: string[];
  env?: Array<{ name: string; value?: string; valueFrom?: unknown }>;
  envFrom?: Array<{ configMapRef?: { name: string }; secretRef?: { name: string } }>;
  ports?: Array<{ name?: string; containerPort: number }>;
  startupProbe?: Probe;
  readinessProbe?: Probe;
  livenessProbe?: Probe;
  lifecycle?: { preStop?: { exec?: { command: string[] }; sleep?: { seconds: number } } };
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: {
    runAsNonRoot?: boolean;
    allowPrivilegeEscalation?: boolean;
    readOnlyRootFilesystem?: boolean;
    capabilities?: { drop?: string[] };
  };
  volumeMounts?: Array<{ name: string; mountPath: string; readOnly?: boolean }>;
}
export interface Volume {
  name: string;
  emptyDir?: Record<string, unknown>;
  persistentVolumeClaim?: { claimName: string; readOnly?: boolean };
  secret?: { secretName: string; optional?: boolean; items?: Array<{ key: string; path: string }> };
}
export interface PodSpec {
  containers: Container[];
  initContainers?: Container[];
  volumes?: Volume[];
  terminationGracePeriodSeconds?: number;
  enableServiceLinks?: boolean;
  automountServiceAccountToken?: boolean;
  securityContext?: {
    runAsNonRoot?: boolean;
    runAsUser?: number;
    seccompProfile?: { type: string };
  };
  tolerations?: Array<{ key?: string; operator?: string; effect?: string }>;
}
export interface PodTemplate {
  metadata: { labels?: Record<string, string>; annotations?: Record<string, string> };
  spec: PodSpec;
}
export interface NetworkPolicyPeer {
  podSelector?: LabelSelector;
  namespaceSelector?: LabelSelector;
  ipBlock?: unknown;
}
export interface NetworkPolicyRule {
  from?: NetworkPolicyPeer[];
  ports?: Array<{ port?: number | string; protocol?: string }>;
}
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: Meta;
  data?: Record<string, string>;
  // One shape per kind; each test reads the fields of the kind it looks at.
  spec?: {
    replicas?: number;
    selector?: LabelSelector & Record<string, string>;
    template?: PodTemplate;
    type?: string;
    clusterIP?: string;
    ports?: Array<{ name?: string; port: number; targetPort?: number | string }>;
    scaleTargetRef?: { apiVersion: string; kind: string; name: string };
    minReplicas?: number;
    maxReplicas?: number;
    metrics?: Array<{
      type: string;
      resource?: { name: string; target: { type: string; averageUtilization?: number } };
      pods?: { metric: { name: string }; target: { type: string; averageValue?: string } };
    }>;
    maxUnavailable?: number | string;
    minAvailable?: number | string;
    podSelector?: LabelSelector;
    policyTypes?: string[];
    ingress?: NetworkPolicyRule[];
    accessModes?: string[];
  };
}

const INSTALL_HINT =
  'the Kubernetes manifests are rendered with `kubectl kustomize`: install kubectl ' +
  '(`apt-get install -y kubectl`, as .ci/run does)';

/** kubectl's embedded kustomize version (major, minor); throws, never skips, when kubectl is missing. */
export function kustomizeVersion(): [number, number] {
  const run = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' });
  if (run.error) throw new Error(`kubectl not found (${run.error.message}): ${INSTALL_HINT}`);
  const match = /Kustomize Version: v(\d+)\.(\d+)/.exec(run.stdout);
  if (!match)
    throw new Error(`kubectl version --client names no Kustomize version:\n${run.stdout}${run.stderr}`);
  return [Number(match[1]), Number(match[2])];
}

/** `kubectl kustomize DIR`, parsed: every rendered object. */
export function kustomize(dir: string): K8sObject[] {
  const run = spawnSync('kubectl', ['kustomize', dir], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (run.error) throw new Error(`kubectl not found (${run.error.message}): ${INSTALL_HINT}`);
  if (run.status !== 0) throw new Error(`kubectl kustomize ${dir} exited with ${run.status}:\n${run.stderr}`);
  return parseYamlDocuments(run.stdout) as K8sObject[];
}

export function parseYamlDocuments(text: string): unknown[] {
  return parseAllDocuments(text).map((doc) => {
    if (doc.errors.length > 0) throw new Error(doc.errors.map((e) => e.message).join('\n'));
    return doc.toJS() as unknown;
  });
}

/** Whether a selector (matchLabels, or a Service's plain map) selects pods with these labels. */
export function selects(selector: Record<string, string> | undefined, labels: Record<string, string> = {}) {
  if (!selector || Object.keys(selector).length === 0) return true;
  return Object.entries(selector).every(([key, value]) => labels[key] === value);
}

/** A Kubernetes quantity ("500m", "2", "12Gi", "1G") as a number of base units. */
export function quantity(value: string | number): number {
  if (typeof value === 'number') return value;
  const match = /^([0-9.]+)(m|k|M|G|T|Ki|Mi|Gi|Ti)?$/.exec(value);
  if (!match) throw new Error(`not a quantity: ${value}`);
  const scale: Record<string, number> = {
    m: 1e-3,
    k: 1e3,
    M: 1e6,
    G: 1e9,
    T: 1e12,
    Ki: 2 ** 10,
    Mi: 2 ** 20,
    Gi: 2 ** 30,
    Ti: 2 ** 40,
  };
  return Number(match[1]) * (match[2] ? scale[match[2]]! : 1);
}
