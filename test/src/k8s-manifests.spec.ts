import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative, sep } from 'node:path';
import { before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import {
  kustomize,
  kustomizeVersion,
  parseYamlDocuments,
  quantity,
  selects,
  type Container,
  type K8sObject,
  type NetworkPolicyPeer,
} from './support/k8s';
import { CLI, REPO_ROOT } from './support/paths';
import { prometheusSeriesNames } from './support/prometheus-names';

// Renders tools/deploy/k8s (kustomize, offline) and checks the objects a cluster would get. Needs
// kubectl: without it this spec fails, saying how to install it.
const K8S = join(REPO_ROOT, 'tools', 'deploy', 'k8s');
const execFileAsync = promisify(execFile);
const NAMESPACE = 'internvl';

const TIERS = {
  preprocess: { grpc: 50051, metrics: 9451, service: 'internvl.v1.PreprocessService' },
  vision: { grpc: 50052, metrics: 9452, service: 'internvl.v1.VisionService' },
  llm: { grpc: 50053, metrics: 9453, service: 'internvl.v1.LlmService' },
  gateway: { grpc: 50050, metrics: 9450, service: 'internvl.v1.ChatService' },
} as const;
type Tier = keyof typeof TIERS;
const TIER_NAMES = Object.keys(TIERS) as Tier[];
const INTERNAL_TIERS: Tier[] = ['preprocess', 'vision', 'llm'];
/** Tiers the gateway balances over with grpc-js round_robin on one DNS name: headless Services. */
const HEADLESS_TIERS: Tier[] = ['preprocess', 'vision', 'llm'];
const AUTOSCALED_TIERS: Tier[] = ['preprocess', 'vision', 'llm', 'gateway'];

function find(objects: K8sObject[], kind: string, name: string): K8sObject {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  assert.ok(
    found,
    `no ${kind} ${name} among ${objects.map((o) => `${o.kind}/${o.metadata.name}`).join(', ')}`,
  );
  return found;
}
const ofKind = (objects: K8sObject[], kind: string) => objects.filter((o) => o.kind === kind);
const deployment = (objects: K8sObject[], tier: Tier) => find(objects, 'Deployment', `internvl-${tier}`);
const podLabels = (d: K8sObject) => d.spec!.template!.metadata.labels ?? {};
function container(d: K8sObject): Container {
  const containers = d.spec!.template!.spec.containers;
  assert.equal(containers.length, 1, `${d.metadata.name}: one container`);
  return containers[0]!;
}

/** A ConfigMap referenced by name, generated names included (kustomize adds a hash suffix). */
function configMap(objects: K8sObject[], name: string): K8sObject {
  return find(objects, 'ConfigMap', name);
}

/**
 * The value a tier would see for one option (snake_case), as its config parser reads it: the
 * ConfigMaps of envFrom, then env, then flags in args (flags win).
 */
function option(objects: K8sObject[], tier: Tier, c: Container, key: string): string | undefined {
  const envName = `INTERNVL_${tier.toUpperCase()}_${key.toUpperCase()}`;
  let value: string | undefined;
  for (const from of c.envFrom ?? [])
    if (from.configMapRef) {
      const data = configMap(objects, from.configMapRef.name).data ?? {};
      if (envName in data) value = data[envName];
    }
  for (const env of c.env ?? []) if (env.name === envName) value = env.value;
  const flag = `--${key.replace(/_/g, '-')}`;
  const args = c.args ?? [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === flag) value = args[i + 1];
    else if (args[i]!.startsWith(`${flag}=`)) value = args[i]!.slice(flag.length + 1);
  }
  return value;
}

/** Every INTERNVL_<TIER>_* variable a tier's pods get (ConfigMaps and env). */
function tierEnv(objects: K8sObject[], tier: Tier, c: Container): Map<string, string> {
  const vars = new Map<string, string>();
  for (const from of c.envFrom ?? [])
    if (from.configMapRef)
      for (const [k, v] of Object.entries(configMap(objects, from.configMapRef.name).data ?? {}))
        vars.set(k, v);
  for (const env of c.env ?? []) if (env.value !== undefined) vars.set(env.name, env.value);
  return new Map([...vars].filter(([k]) => k.startsWith(`INTERNVL_${tier.toUpperCase()}_`)));
}

interface HelpOption {
  env: string;
  /** `int`, `string`, `list`, a `a|b` choice list, or undefined for a boolean switch. */
  type: string | undefined;
}
/** The options `internvl serve <tier> --help` documents, by env variable. */
async function helpOptions(tier: Tier): Promise<Map<string, HelpOption>> {
  const { stdout } = await execFileAsync(process.execPath, [CLI, 'serve', tier, '--help'], {
    encoding: 'utf8',
  });
  const options = new Map<string, HelpOption>();
  let type: string | undefined;
  for (const line of stdout.split('\n')) {
    const flag = /^ {2}--[a-z0-9-]+(?: <([^>]+)>)?$/.exec(line);
    if (flag) type = flag[1];
    const env = /^ +env: (INTERNVL_[A-Z0-9_]+)$/.exec(line);
    if (env) options.set(env[1]!, { env: env[1]!, type });
  }
  assert.ok(options.size > 5, `parsed --help of ${tier}:\n${stdout}`);
  return options;
}

/** The port an httpGet probe names (a container port's name, or a number) as a number. */
function probePort(c: Container, port: number | string): number | undefined {
  if (typeof port === 'number') return port;
  if (/^\d+$/.test(port)) return Number(port);
  return c.ports?.find((p) => p.name === port)?.containerPort;
}

/** Every `service X` of the internvl.v1 protos, as internvl.v1.X (the names grpc.health.v1 knows). */
function protoServices(): Set<string> {
  const dir = join(REPO_ROOT, 'proto', 'internvl', 'v1');
  const names = new Set<string>();
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.proto')))
    for (const match of readFileSync(join(dir, file), 'utf8').matchAll(/^service (\w+)/gm))
      names.add(`internvl.v1.${match[1]}`);
  return names;
}

/** Where components/mtls mounts each tier's TLS Secret. */
const TLS_DIR = '/etc/internvl/tls';
/** The TLS options components/mtls sets per tier, and the key of the tier's Secret each one reads. */
const TLS_OPTIONS: Record<Tier, Record<string, 'tls.crt' | 'tls.key' | 'ca.crt'>> = {
  preprocess: { tls_cert_file: 'tls.crt', tls_key_file: 'tls.key', tls_client_ca_file: 'ca.crt' },
  vision: { tls_cert_file: 'tls.crt', tls_key_file: 'tls.key', tls_client_ca_file: 'ca.crt' },
  llm: { tls_cert_file: 'tls.crt', tls_key_file: 'tls.key', tls_client_ca_file: 'ca.crt' },
  gateway: {
    downstream_tls_ca_file: 'ca.crt',
    downstream_tls_cert_file: 'tls.crt',
    downstream_tls_key_file: 'tls.key',
  },
};

/** The volume mounted at TLS_DIR in a tier's pods, and the mount. */
function tlsVolume(d: K8sObject) {
  const mount = container(d).volumeMounts?.find((m) => m.mountPath === TLS_DIR);
  assert.ok(mount, `${d.metadata.name}: a volume at ${TLS_DIR}`);
  const volume = d.spec!.template!.spec.volumes?.find((v) => v.name === mount.name);
  assert.ok(volume, `${d.metadata.name}: volume ${mount.name}`);
  return { mount, volume };
}

/** A Deployment less what components/mtls adds: its TLS volume and, on the internal tiers, probe handlers. */
function withoutMtls(d: K8sObject): K8sObject {
  const copy = structuredClone(d);
  const pod = copy.spec!.template!.spec;
  const c = pod.containers[0]!;
  const tls = c.volumeMounts?.find((m) => m.mountPath === TLS_DIR);
  if (tls) {
    c.volumeMounts = c.volumeMounts!.filter((m) => m !== tls);
    pod.volumes = pod.volumes!.filter((v) => v.name !== tls.name);
  }
  if (c.name !== 'gateway')
    for (const probe of [c.startupProbe, c.readinessProbe, c.livenessProbe]) {
      delete probe?.grpc;
      delete probe?.httpGet;
    }
  // Generated ConfigMap names end in a hash of their content, which the TLS options change.
  c.envFrom = c.envFrom?.map((f) =>
    f.configMapRef ? { configMapRef: { name: f.configMapRef.name.replace(/-[a-z0-9]{10}$/, '') } } : f,
  );
  return copy;
}

interface Certificate {
  kind: string;
  metadata: { name: string; namespace?: string };
  spec: {
    secretName: string;
    issuerRef: { name: string; kind?: string };
    dnsNames?: string[];
    usages?: string[];
  };
}

/** Whether a certificate's DNS name (maybe a wildcard, one label deep) covers host. */
function nameCovers(name: string, host: string): boolean {
  if (!name.startsWith('*.')) return name === host;
  const suffix = name.slice(1);
  return host.endsWith(suffix) && !host.slice(0, -suffix.length).includes('.');
}

function preStopSeconds(c: Container): number {
  const preStop = c.lifecycle?.preStop;
  assert.ok(preStop, `${c.name}: a preStop hook`);
  if (preStop.sleep) return preStop.sleep.seconds;
  const command = preStop.exec?.command ?? [];
  assert.equal(command[0], 'sleep', `${c.name}: preStop sleeps (${command.join(' ')})`);
  return Number(command[1]);
}

/** NetworkPolicy peers allowed to reach pods with `labels` on `port`; 'anyone' for an open rule. */
function allowedPeers(objects: K8sObject[], labels: Record<string, string>, port: number) {
  const peers: NetworkPolicyPeer[] = [];
  let anyone = false;
  for (const policy of ofKind(objects, 'NetworkPolicy')) {
    if (!selects(policy.spec!.podSelector?.matchLabels, labels)) continue;
    for (const rule of policy.spec!.ingress ?? []) {
      const coversPort = !rule.ports || rule.ports.some((p) => p.port === undefined || p.port === port);
      if (!coversPort) continue;
      if (!rule.from || rule.from.length === 0) anyone = true;
      else peers.push(...rule.from);
    }
  }
  return { anyone, peers };
}

function checkKustomize() {
  const [major, minor] = kustomizeVersion();
  assert.ok(
    major >= 5,
    `kubectl's kustomize is v${major}.${minor}; the manifests need v5 (components, labels)`,
  );
}

// A failure of its own (not only cancelled tests) when kubectl is missing or too old.
test('kubectl with kustomize v5 is installed (apt-get install -y kubectl)', checkKustomize);

let helpByTier: Map<Tier, Map<string, HelpOption>>;
before(async () => {
  checkKustomize();
  helpByTier = new Map(
    await Promise.all(TIER_NAMES.map(async (tier) => [tier, await helpOptions(tier)] as const)),
  );
});

/** One rendering of tools/deploy/k8s the tests below check. */
interface Variant {
  name: string;
  /** The overlay it builds on: which images, resources and options. */
  flavour: 'cpu' | 'gpu';
  /** With components/mtls: mutual TLS between the gateway and the tiers. */
  mtls: boolean;
  render: () => K8sObject[];
}
const overlay = (name: string) => () => kustomize(join(K8S, 'overlays', name));
/** overlays/<name> with components/mtls, through a throwaway kustomization (kustomize takes relative paths only). */
const withMtls = (name: string) => () => {
  const dir = mkdtempSync(join(tmpdir(), 'internvl-k8s-'));
  const rel = (path: string) => relative(dir, path).split(sep).join('/');
  try {
    const kustomization = [
      'apiVersion: kustomize.config.k8s.io/v1beta1',
      'kind: Kustomization',
      `resources: [${rel(join(K8S, 'overlays', name))}]`,
      `components: [${rel(join(K8S, 'components', 'mtls'))}]`,
    ];
    writeFileSync(join(dir, 'kustomization.yaml'), `${kustomization.join('\n')}\n`);
    return kustomize(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
};
const VARIANTS: Variant[] = [
  { name: 'overlays/cpu', flavour: 'cpu', mtls: false, render: overlay('cpu') },
  { name: 'overlays/gpu', flavour: 'gpu', mtls: false, render: overlay('gpu') },
  { name: 'overlays/cpu-mtls', flavour: 'cpu', mtls: true, render: overlay('cpu-mtls') },
  // The component composes with either overlay; only the cpu one ships as an example.
  { name: 'overlays/gpu + components/mtls', flavour: 'gpu', mtls: true, render: withMtls('gpu') },
];

for (const variant of VARIANTS) {
  describe(`tools/deploy/k8s/${variant.name}, rendered with kubectl kustomize`, () => {
    let objects: K8sObject[];
    before(() => {
      objects = variant.render();
    });

    test('every namespaced object is in the internvl namespace, which enforces the restricted pod security', () => {
      for (const o of objects) {
        if (o.kind === 'Namespace') continue;
        assert.equal(o.metadata.namespace, NAMESPACE, `${o.kind}/${o.metadata.name}`);
      }
      const ns = find(objects, 'Namespace', NAMESPACE);
      assert.equal(ns.metadata.labels?.['pod-security.kubernetes.io/enforce'], 'restricted');
    });

    for (const tier of TIER_NAMES) {
      const { grpc, metrics, service } = TIERS[tier];
      // With mutual TLS the internal tiers' gRPC port wants a client certificate, which kubelet
      // probes cannot present: they probe GET /healthz on the plain-HTTP metrics port instead.
      const httpProbes = variant.mtls && tier !== 'gateway';

      test(`${tier}: a Deployment running \`internvl serve ${tier}\` with ${httpProbes ? 'HTTP /healthz (metrics port)' : 'gRPC'} startup, readiness and liveness probes`, () => {
        const d = deployment(objects, tier);
        assert.ok(selects(d.spec!.selector!.matchLabels, podLabels(d)), 'selector matches the pod labels');
        const c = container(d);
        assert.deepEqual(c.args, ['serve', tier]);
        assert.equal(c.command, undefined, "the image's entrypoint (tini + internvl) runs");
        if (httpProbes) {
          // GET /healthz?service=NAME is grpc.health.v1's status of NAME over HTTP (200 SERVING, 503
          // not, 404 unknown): "" is the process, the tier's service name is readiness.
          assert.ok(protoServices().has(service), `${service} is a service of proto/internvl/v1`);
          const probes = { startup: c.startupProbe, liveness: c.livenessProbe, readiness: c.readinessProbe };
          for (const [kind, probe] of Object.entries(probes)) {
            assert.equal(probe?.grpc, undefined, `${tier}: no grpc ${kind} probe left`);
            assert.equal(
              probe?.tcpSocket ?? probe?.exec,
              undefined,
              `${tier}: ${kind} probe is httpGet only`,
            );
            const get = probe?.httpGet;
            assert.ok(get, `${tier}: an httpGet ${kind} probe`);
            assert.ok(!get.scheme || get.scheme === 'HTTP', `${tier}: ${kind} probe over plain HTTP`);
            assert.equal(get.host, undefined, `${tier}: ${kind} probe on the pod IP`);
            assert.equal(probePort(c, get.port), metrics, `${tier}: ${kind} probe on the metrics port`);
            const url = new URL(get.path ?? '/', 'http://pod');
            assert.equal(url.pathname, '/healthz', `${tier}: ${kind} probe path ${get.path}`);
            assert.equal(
              url.searchParams.get('service') ?? '',
              kind === 'readiness' ? service : '',
              `${tier}: ${kind} probe ${get.path}`,
            );
          }
        } else {
          // Native gRPC probes on the tier's port: "" is the process, the service name is readiness.
          assert.deepEqual(c.readinessProbe?.grpc, { port: grpc, service });
          assert.deepEqual(c.livenessProbe?.grpc, { port: grpc });
          assert.deepEqual(c.startupProbe?.grpc, { port: grpc });
        }
        // The startup probe covers a slow model load before liveness applies.
        const startupSeconds = c.startupProbe!.periodSeconds! * c.startupProbe!.failureThreshold!;
        assert.ok(
          startupSeconds >= (tier === 'vision' || tier === 'llm' ? 300 : 60),
          `startup ${startupSeconds} s`,
        );
        // The probed ports are the ones the tier listens on, on every interface.
        assert.equal(option(objects, tier, c, 'port'), String(grpc));
        assert.equal(option(objects, tier, c, 'metrics_port'), String(metrics));
        assert.equal(option(objects, tier, c, 'host'), '0.0.0.0');
        const ports = (c.ports ?? []).map((p) => p.containerPort);
        assert.ok(ports.includes(grpc) && ports.includes(metrics), `container ports ${ports.join(', ')}`);
        const annotations = d.spec!.template!.metadata.annotations ?? {};
        assert.equal(annotations['prometheus.io/scrape'], 'true');
        assert.equal(annotations['prometheus.io/port'], String(metrics));
      });

      test(`${tier}: CPU and memory requests and limits, limits >= requests`, () => {
        const c = container(deployment(objects, tier));
        for (const resource of ['cpu', 'memory']) {
          const request = c.resources?.requests?.[resource];
          const limit = c.resources?.limits?.[resource];
          assert.ok(request && limit, `${tier}: ${resource} request and limit (${request}, ${limit})`);
          assert.ok(
            quantity(limit) >= quantity(request),
            `${tier}: ${resource} limit ${limit} < request ${request}`,
          );
        }
      });

      test(`${tier}: terminationGracePeriodSeconds above the preStop delay plus the drain timeout`, () => {
        const d = deployment(objects, tier);
        const c = container(d);
        const drainMs = option(objects, tier, c, 'shutdown_timeout_ms');
        assert.ok(drainMs, `${tier}: --shutdown-timeout-ms set explicitly`);
        const preStop = preStopSeconds(c);
        assert.ok(preStop > 0 && preStop < 30, `preStop ${preStop} s`);
        const grace = d.spec!.template!.spec.terminationGracePeriodSeconds!;
        assert.ok(
          grace > preStop + Number(drainMs) / 1000,
          `${tier}: grace ${grace} s <= preStop ${preStop} s + drain ${Number(drainMs) / 1000} s`,
        );
      });

      test(`${tier}: non-root, no privilege escalation, no capabilities, read-only root filesystem, no service links`, () => {
        const pod = deployment(objects, tier).spec!.template!.spec;
        assert.equal(pod.securityContext?.runAsNonRoot, true);
        assert.ok((pod.securityContext?.runAsUser ?? 0) > 0, 'runAsUser is not root');
        assert.equal(pod.securityContext?.seccompProfile?.type, 'RuntimeDefault');
        // Service links would put INTERNVL_GATEWAY_PORT=tcp://... into every pod: an invalid option.
        assert.equal(pod.enableServiceLinks, false);
        assert.equal(pod.automountServiceAccountToken, false);
        const c = pod.containers[0]!;
        assert.equal(c.securityContext?.allowPrivilegeEscalation, false);
        assert.equal(c.securityContext?.readOnlyRootFilesystem, true);
        assert.deepEqual(c.securityContext?.capabilities?.drop, ['ALL']);
        // The one writable place is /tmp, an emptyDir.
        const tmp = c.volumeMounts?.find((m) => m.mountPath === '/tmp');
        assert.ok(tmp, `${tier}: /tmp mounted`);
        assert.ok(pod.volumes?.find((v) => v.name === tmp.name)?.emptyDir, `${tier}: /tmp is an emptyDir`);
      });

      test(`${tier}: every INTERNVL_${tier.toUpperCase()}_* variable is an option of \`internvl serve ${tier}\` with a valid value`, () => {
        const c = container(deployment(objects, tier));
        const help = helpByTier.get(tier)!;
        const vars = tierEnv(objects, tier, c);
        assert.ok(vars.size > 0);
        for (const [name, value] of vars) {
          const known = help.get(name);
          assert.ok(
            known,
            `${name} is not an option of \`internvl serve ${tier}\` (the tier would refuse to start)`,
          );
          if (known.type === 'int') assert.match(value, /^-?\d+$/, `${name}=${value}`);
          else if (known.type === undefined) assert.match(value, /^(true|false)$/, `${name}=${value}`);
          else if (known.type.includes('|'))
            assert.ok(known.type.split('|').includes(value), `${name}=${value}`);
        }
      });

      test(`${tier}: a PodDisruptionBudget selecting exactly its pods`, () => {
        const pdbs = ofKind(objects, 'PodDisruptionBudget').filter((p) =>
          selects(p.spec!.selector!.matchLabels, podLabels(deployment(objects, tier))),
        );
        assert.equal(pdbs.length, 1, `${tier}: one PDB`);
        const pdb = pdbs[0]!;
        assert.ok(pdb.spec!.maxUnavailable !== undefined || pdb.spec!.minAvailable !== undefined);
        for (const other of TIER_NAMES.filter((t) => t !== tier))
          assert.ok(!selects(pdb.spec!.selector!.matchLabels, podLabels(deployment(objects, other))), other);
      });
    }

    test('vision and llm (and preprocess) have headless Services selecting their pods on the gRPC port', () => {
      for (const tier of HEADLESS_TIERS) {
        const svc = find(objects, 'Service', `internvl-${tier}`);
        assert.equal(svc.spec!.clusterIP, 'None', `${tier}: headless, so DNS answers every pod`);
        const d = deployment(objects, tier);
        assert.ok(selects(svc.spec!.selector, podLabels(d)), `${tier}: selector matches the pods`);
        for (const other of TIER_NAMES.filter((t) => t !== tier))
          assert.ok(
            !selects(svc.spec!.selector, podLabels(deployment(objects, other))),
            `${tier} selects ${other}`,
          );
        const port = svc.spec!.ports!.find((p) => p.port === TIERS[tier].grpc);
        assert.ok(port, `${tier}: Service port ${TIERS[tier].grpc}`);
        const named = container(d).ports!.find((p) => p.name === port.targetPort);
        assert.equal(
          named?.containerPort ?? port.targetPort,
          TIERS[tier].grpc,
          'targetPort is the gRPC port',
        );
      }
    });

    test('the gateway has a normal ClusterIP Service for gRPC and HTTP', () => {
      const svc = find(objects, 'Service', 'internvl-gateway');
      assert.notEqual(svc.spec!.clusterIP, 'None');
      assert.ok(!svc.spec!.type || svc.spec!.type === 'ClusterIP' || svc.spec!.type === 'LoadBalancer');
      assert.ok(selects(svc.spec!.selector, podLabels(deployment(objects, 'gateway'))));
      const ports = svc.spec!.ports!.map((p) => p.port).sort((a, b) => a - b);
      assert.deepEqual(ports, [8080, 50050]);
      const c = container(deployment(objects, 'gateway'));
      assert.equal(option(objects, 'gateway', c, 'http_port'), '8080');
      assert.equal(option(objects, 'gateway', c, 'http_host'), '0.0.0.0');
    });

    test("the gateway reaches each tier through its headless Service's DNS name (dns:///)", () => {
      const c = container(deployment(objects, 'gateway'));
      for (const tier of INTERNAL_TIERS) {
        const svc = find(objects, 'Service', `internvl-${tier}`);
        const expected = `dns:///${svc.metadata.name}.${svc.metadata.namespace}.svc.cluster.local:${TIERS[tier].grpc}`;
        assert.equal(option(objects, 'gateway', c, `${tier}_addr`), expected);
        assert.equal(svc.spec!.clusterIP, 'None');
      }
    });

    test('vision and llm (and preprocess, gateway) have CPU autoscalers on their Deployments, which leave replicas to them', () => {
      for (const tier of AUTOSCALED_TIERS) {
        const hpa = find(objects, 'HorizontalPodAutoscaler', `internvl-${tier}`);
        assert.equal(hpa.apiVersion, 'autoscaling/v2');
        assert.deepEqual(hpa.spec!.scaleTargetRef, {
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          name: `internvl-${tier}`,
        });
        assert.ok(hpa.spec!.minReplicas! >= 2, `${tier}: at least 2 replicas (the PDB allows one down)`);
        assert.ok(hpa.spec!.maxReplicas! > hpa.spec!.minReplicas!);
        const cpu = hpa.spec!.metrics!.find((m) => m.type === 'Resource' && m.resource?.name === 'cpu');
        assert.equal(cpu?.resource?.target.type, 'Utilization');
        assert.equal(
          deployment(objects, tier).spec!.replicas,
          undefined,
          `${tier}: no replicas next to an HPA`,
        );
      }
    });

    test('NetworkPolicy: ingress denied by default; preprocess, vision and llm reachable from gateway pods only', () => {
      const deny = ofKind(objects, 'NetworkPolicy').find(
        (p) => Object.keys(p.spec!.podSelector ?? {}).length === 0 && !p.spec!.ingress,
      );
      assert.ok(deny, 'a default-deny ingress policy');
      assert.deepEqual(deny.spec!.policyTypes, ['Ingress']);
      const gatewayLabels = podLabels(deployment(objects, 'gateway'));
      for (const tier of INTERNAL_TIERS) {
        const labels = podLabels(deployment(objects, tier));
        const { anyone, peers } = allowedPeers(objects, labels, TIERS[tier].grpc);
        assert.equal(anyone, false, `${tier}: its gRPC port is not open to all`);
        assert.ok(peers.length > 0, `${tier}: the gateway may reach it`);
        for (const peer of peers) {
          assert.equal(peer.namespaceSelector, undefined, `${tier}: no other namespace`);
          assert.equal(peer.ipBlock, undefined, `${tier}: no address range`);
          assert.ok(peer.podSelector?.matchLabels, `${tier}: a pod selector`);
          assert.ok(selects(peer.podSelector.matchLabels, gatewayLabels), `${tier}: selects gateway pods`);
          for (const other of INTERNAL_TIERS)
            assert.ok(!selects(peer.podSelector.matchLabels, podLabels(deployment(objects, other))), other);
        }
        // Prometheus may scrape the metrics port, from its namespace only.
        const scrape = allowedPeers(objects, labels, TIERS[tier].metrics);
        assert.equal(scrape.anyone, false);
        assert.ok(
          scrape.peers.length > 0 && scrape.peers.every((p) => p.namespaceSelector && !p.podSelector),
        );
      }
      // The gateway is the public API.
      for (const port of [TIERS.gateway.grpc, 8080])
        assert.equal(allowedPeers(objects, gatewayLabels, port).anyone, true, `gateway port ${port} open`);
    });

    test('vision and llm load the model from the read-only model volume (a PersistentVolumeClaim)', () => {
      const pvc = find(objects, 'PersistentVolumeClaim', 'internvl-models');
      assert.ok(pvc.spec!.accessModes!.some((m) => m === 'ReadWriteMany' || m === 'ReadOnlyMany'));
      for (const tier of ['vision', 'llm'] as const) {
        const d = deployment(objects, tier);
        const c = container(d);
        const volume = d.spec!.template!.spec.volumes!.find(
          (v) => v.persistentVolumeClaim?.claimName === 'internvl-models',
        );
        assert.ok(volume, `${tier}: mounts the model PVC`);
        const mount = c.volumeMounts!.find((m) => m.name === volume.name);
        assert.ok(mount?.readOnly, `${tier}: read-only`);
        const model = option(objects, tier, c, 'model');
        assert.ok(model?.startsWith(`${mount.mountPath}/`), `${tier}: --model ${model} is on the volume`);
      }
      const vision = option(objects, 'vision', container(deployment(objects, 'vision')), 'model');
      assert.equal(option(objects, 'llm', container(deployment(objects, 'llm')), 'model'), vision);
    });

    test("the gateway's API keys come from a Secret it cannot start without", () => {
      const d = deployment(objects, 'gateway');
      const c = container(d);
      const file = option(objects, 'gateway', c, 'api_keys_file');
      assert.ok(file, '--api-keys-file set');
      const mount = c.volumeMounts!.find((m) => m.mountPath === dirname(file));
      assert.ok(mount, `the keys file's folder ${dirname(file)} is mounted`);
      const volume = d.spec!.template!.spec.volumes!.find((v) => v.name === mount.name);
      assert.equal(volume?.secret?.secretName, 'internvl-api-keys');
      assert.equal(volume?.secret?.optional, false);
      assert.ok(volume?.secret?.items?.some((i) => i.path === basename(file)));
    });

    if (variant.mtls) {
      test(`mtls: every tier mounts its own TLS Secret read-only at ${TLS_DIR}/, and its TLS options name the files in it`, () => {
        for (const tier of TIER_NAMES) {
          const d = deployment(objects, tier);
          const c = container(d);
          const { mount, volume } = tlsVolume(d);
          assert.equal(mount.readOnly, true, `${tier}: read-only`);
          assert.equal(volume.secret?.secretName, `internvl-${tier}-tls`, `${tier}: its own Secret`);
          assert.equal(volume.secret.optional, false, `${tier}: does not start without TLS`);
          const items = volume.secret.items;
          const keyAt = (path: string) => (items ? items.find((i) => i.path === path)?.key : path);
          for (const [key, secretKey] of Object.entries(TLS_OPTIONS[tier])) {
            const file = option(objects, tier, c, key);
            assert.ok(file, `${tier}: --${key.replace(/_/g, '-')} set`);
            assert.equal(dirname(file), mount.mountPath, `${tier}: ${key}=${file} is in the Secret's folder`);
            assert.equal(
              keyAt(basename(file)),
              secretKey,
              `${tier}: ${key}=${file} is the Secret's ${secretKey}`,
            );
          }
        }
        // The gateway's public ports stay as they were; its calls to the tiers are checked against
        // the DNS name each replica was resolved from (one server name would serve all three).
        const gateway = container(deployment(objects, 'gateway'));
        assert.equal(option(objects, 'gateway', gateway, 'tls_cert_file'), undefined);
        assert.ok(!option(objects, 'gateway', gateway, 'downstream_tls_server_name'));
        for (const tier of INTERNAL_TIERS)
          assert.match(option(objects, 'gateway', gateway, `${tier}_addr`) ?? '', /^dns:\/\/\//);
      });

      test(`mtls: only the TLS options, volumes and probes differ from overlays/${variant.flavour}`, () => {
        const plain = kustomize(join(K8S, 'overlays', variant.flavour));
        const byName = (list: K8sObject[], kinds: (kind: string) => boolean) =>
          list
            .filter((o) => kinds(o.kind))
            .map((o) => (o.kind === 'Deployment' ? withoutMtls(o) : o))
            .sort((a, b) => `${a.kind}/${a.metadata.name}`.localeCompare(`${b.kind}/${b.metadata.name}`));
        // Services, NetworkPolicies (the metrics port stays open to the monitoring namespace only;
        // kubelet probes come from the node, which they do not restrict), autoscalers, budgets...
        const notConfig = (kind: string) => kind !== 'ConfigMap';
        assert.deepEqual(byName(objects, notConfig), byName(plain, notConfig));
        for (const tier of TIER_NAMES) {
          const plainEnv = tierEnv(plain, tier, container(deployment(plain, tier)));
          const mtlsEnv = tierEnv(objects, tier, container(deployment(objects, tier)));
          const added = [...mtlsEnv.keys()].filter((k) => !plainEnv.has(k)).sort();
          const tls = Object.keys(TLS_OPTIONS[tier]).map(
            (k) => `INTERNVL_${tier.toUpperCase()}_${k.toUpperCase()}`,
          );
          assert.deepEqual(added, tls.sort(), `${tier}: the TLS options join its ConfigMap`);
          for (const [name, value] of plainEnv)
            assert.equal(mtlsEnv.get(name), value, `${tier}: ${name} kept`);
        }
      });

      test('mtls: components/mtls/certificates.example.yaml issues the mounted Secrets, with the names the gateway dials', () => {
        const certs = parseYamlDocuments(
          readFileSync(join(K8S, 'components', 'mtls', 'certificates.example.yaml'), 'utf8'),
        ) as Certificate[];
        const gateway = container(deployment(objects, 'gateway'));
        for (const tier of TIER_NAMES) {
          const secretName = tlsVolume(deployment(objects, tier)).volume.secret!.secretName;
          const cert = certs.find((x) => x.kind === 'Certificate' && x.spec.secretName === secretName);
          assert.ok(cert, `a Certificate writes ${secretName}`);
          assert.equal(cert.metadata.namespace, NAMESPACE);
          assert.ok(cert.spec.issuerRef.name, `${tier}: an issuer`);
          if (tier === 'gateway') {
            assert.ok(cert.spec.usages?.includes('client auth'), 'the gateway: a client certificate');
            continue;
          }
          assert.ok(cert.spec.usages?.includes('server auth'), `${tier}: a server certificate`);
          const host = /^dns:\/\/\/([^:/]+):\d+$/.exec(
            option(objects, 'gateway', gateway, `${tier}_addr`)!,
          )?.[1];
          assert.ok(host, `${tier}: the gateway dials a DNS name`);
          assert.ok(
            cert.spec.dnsNames?.some((name) => nameCovers(name, host)),
            `${tier}: the certificate names ${host} (${cert.spec.dnsNames?.join(', ')})`,
          );
        }
      });
    }

    if (variant.flavour === 'cpu') {
      test('cpu: no GPU requested, every tier on the CPU provider and image', () => {
        for (const tier of TIER_NAMES) {
          const c = container(deployment(objects, tier));
          assert.equal(c.resources?.limits?.['nvidia.com/gpu'], undefined);
          assert.match(c.image, /:cpu$/);
        }
        for (const tier of ['vision', 'llm'] as const)
          assert.equal(option(objects, tier, container(deployment(objects, tier)), 'provider'), 'cpu');
      });
    } else {
      test('gpu: vision and llm request one GPU each, run --provider cuda (required) from the CUDA image', () => {
        for (const tier of ['vision', 'llm'] as const) {
          const d = deployment(objects, tier);
          const c = container(d);
          assert.equal(c.resources?.requests?.['nvidia.com/gpu'], '1', `${tier}: GPU request`);
          assert.equal(c.resources?.limits?.['nvidia.com/gpu'], '1', `${tier}: GPU limit`);
          assert.equal(option(objects, tier, c, 'provider'), 'cuda');
          assert.equal(option(objects, tier, c, 'require_gpu'), 'true');
          assert.match(c.image, /:cuda$/);
          assert.ok(d.spec!.template!.spec.tolerations?.some((t) => t.key === 'nvidia.com/gpu'));
        }
        for (const tier of ['preprocess', 'gateway'] as const) {
          const c = container(deployment(objects, tier));
          assert.equal(c.resources?.limits?.['nvidia.com/gpu'], undefined, `${tier}: no GPU`);
        }
      });

      test('gpu: vision, llm and preprocess also scale on their queue gauges (prometheus-adapter)', () => {
        const queueMetric = { vision: 'internvl_vision_queue_tiles', llm: 'internvl_llm_sequences_queued' };
        const rules = parseYamlDocuments(
          readFileSync(join(K8S, 'components', 'queue-autoscaling', 'prometheus-adapter-rules.yaml'), 'utf8'),
        )[0] as { rules: { custom: Array<{ seriesQuery: string; name: { as: string } }> } };
        const served = new Set(rules.rules.custom.map((r) => r.name.as));
        const exported = prometheusSeriesNames();
        for (const [tier, metric] of Object.entries(queueMetric)) {
          const hpa = find(objects, 'HorizontalPodAutoscaler', `internvl-${tier}`);
          const pods = hpa.spec!.metrics!.find((m) => m.type === 'Pods');
          assert.equal(pods?.pods?.metric.name, metric, `${tier}: scales on ${metric}`);
          assert.equal(pods?.pods?.target.type, 'AverageValue');
          assert.ok(served.has(metric), `prometheus-adapter-rules.yaml serves ${metric}`);
          assert.ok(exported.has(metric), `${metric} is a metric the tiers export (semconv.ts)`);
          assert.ok(
            hpa.spec!.metrics!.some((m) => m.resource?.name === 'cpu'),
            `${tier}: CPU still counts`,
          );
        }
        for (const rule of rules.rules.custom) {
          const series = /^([a-z_:][a-z0-9_:]*)\{/.exec(rule.seriesQuery)?.[1];
          assert.equal(series, rule.name.as, 'each rule serves its series under the same name');
        }
      });
    }
  });
}

describe('tools/deploy/k8s/model-job', () => {
  test('fills the model volume with the directory vision and llm load, named as the gateway serves it', () => {
    const job = kustomize(join(K8S, 'model-job')).find((o) => o.kind === 'Job');
    assert.ok(job, 'a Job');
    assert.equal(job.metadata.namespace, NAMESPACE);
    const objects = kustomize(join(K8S, 'overlays', 'cpu'));
    const pod = job.spec!.template!.spec;
    const volume = pod.volumes!.find((v) => v.persistentVolumeClaim?.claimName === 'internvl-models');
    assert.ok(volume, 'mounts the model PVC');
    const convert = pod.containers.find((c) => c.args?.[0] === 'convert');
    assert.ok(convert);
    const to = convert.args![convert.args!.indexOf('--to') + 1];
    const from = convert.args![convert.args!.indexOf('--from') + 1]!;
    const model = option(objects, 'vision', container(deployment(objects, 'vision')), 'model');
    assert.equal(to, model, 'writes the directory the tiers load');
    // The checkpoint folder's name becomes the model's name (the manifest's), which the gateway serves.
    const gateway = option(objects, 'gateway', container(deployment(objects, 'gateway')), 'model_name');
    assert.equal(basename(from), gateway);
    const makeTiny = pod.initContainers?.find((c) => c.args?.[0] === 'make-tiny');
    assert.equal(makeTiny?.args?.[1], from, 'make-tiny writes the checkpoint convert reads');
    assert.equal(pod.securityContext?.runAsNonRoot, true);
  });
});
