import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import {
  DEPLOYMENT,
  SECRET_VARS,
  SERVICES,
  block,
  loadTfDir,
  locals,
  moduleDirs,
  parseHclFile,
  resources,
  variableDefault,
  type Body,
  type TfDir,
} from './support/hcl';

const META_ARGS = new Set(['source', 'version', 'count', 'for_each', 'providers', 'depends_on']);

let root: TfDir;
const mods: Record<string, TfDir> = {};

beforeAll(async () => {
  root = await loadTfDir(DEPLOYMENT);
  for (const dir of moduleDirs()) mods[path.basename(dir)] = await loadTfDir(dir);
});

describe('Terraform sources', () => {
  it('has the modules the platform needs', () => {
    expect(Object.keys(mods).sort()).toEqual(
      expect.arrayContaining([
        'access_logs',
        'alarms',
        'cloudfront',
        'ecr',
        'ecs',
        'elb',
        'msk',
        'network',
        'rds',
        's3',
        'waf',
      ]),
    );
  });

  it('every var.X a module or the root uses is declared in it', () => {
    for (const tf of [root, ...Object.values(mods)]) {
      const used = new Set([...tf.text.matchAll(/\bvar\.([A-Za-z0-9_]+)/g)].map((m) => m[1]!));
      const declared = new Set(Object.keys(tf.hcl.variable ?? {}));
      const missing = [...used].filter((v) => !declared.has(v));
      expect({ dir: path.relative(DEPLOYMENT, tf.dir) || '.', missing }).toEqual({
        dir: path.relative(DEPLOYMENT, tf.dir) || '.',
        missing: [],
      });
    }
  });

  it('every module input the root passes exists, and every required input is passed', () => {
    const calls = root.hcl.module ?? {};
    expect(Object.keys(calls).length).toBeGreaterThanOrEqual(8);
    for (const [name, bodies] of Object.entries(calls)) {
      const call = bodies[0]!;
      const source = String(call.source);
      const mod = mods[path.basename(source)];
      expect(mod).toBeDefined();
      const declared = mod!.hcl.variable ?? {};
      const passed = Object.keys(call).filter((k) => !META_ARGS.has(k));
      const unknown = passed.filter((k) => !(k in declared));
      const required = Object.entries(declared)
        .filter(([, v]) => !('default' in v[0]!))
        .map(([k]) => k);
      const notPassed = required.filter((k) => !passed.includes(k));
      expect({ module: name, unknown, notPassed }).toEqual({ module: name, unknown: [], notPassed: [] });
    }
  });

  it('every referenced module output exists', () => {
    for (const m of root.text.matchAll(/\bmodule\.([a-z_0-9]+)\.([a-z_0-9]+)/g)) {
      const call = root.hcl.module?.[m[1]!]?.[0];
      expect(call).toBeDefined();
      const mod = mods[path.basename(String(call!.source))]!;
      expect({ ref: m[0], exists: m[2]! in (mod.hcl.output ?? {}) }).toEqual({ ref: m[0], exists: true });
    }
  });

  it('per-environment tfvars set every root variable without a default, and only declared ones', async () => {
    const declared = root.hcl.variable ?? {};
    const required = Object.entries(declared)
      .filter(([name, v]) => !('default' in v[0]!) && name !== 'image_tag')
      .map(([k]) => k);
    for (const env of ['staging', 'production']) {
      const vars = await parseHclFile(path.join(DEPLOYMENT, 'environments', `${env}.tfvars`));
      expect(Object.keys(vars).filter((k) => !(k in declared))).toEqual([]);
      expect(required.filter((k) => !(k in vars))).toEqual([]);
      expect(vars.environment).toBe(env);
      expect(Object.keys(vars.service_sizing as Body).sort()).toEqual([...SERVICES].sort());
    }
  });

  it("keeps state remotely in S3 with locking, in a bucket of each environment's own account", async () => {
    const backend = root.hcl.terraform?.[0]?.backend as Record<string, Body[]>;
    expect(backend).toHaveProperty('s3');
    expect(backend.s3![0]).toMatchObject({ encrypt: true, use_lockfile: true });
    const buckets: string[] = [];
    for (const env of ['staging', 'production']) {
      const cfg = await parseHclFile(path.join(DEPLOYMENT, 'environments', `${env}.s3.tfbackend`));
      const vars = await parseHclFile(path.join(DEPLOYMENT, 'environments', `${env}.tfvars`));
      expect(cfg).toMatchObject({ key: `${env}/terraform.tfstate`, encrypt: true, use_lockfile: true });
      expect(String(cfg.bucket)).toContain(String(vars.aws_account_id));
      buckets.push(String(cfg.bucket));
    }
    expect(new Set(buckets).size).toBe(2);
  });

  it('staging and production are different accounts; the provider refuses any other', async () => {
    const [staging, production] = await Promise.all(
      ['staging', 'production'].map((env) =>
        parseHclFile(path.join(DEPLOYMENT, 'environments', `${env}.tfvars`)),
      ),
    );
    expect(staging!.aws_account_id).not.toBe(production!.aws_account_id);
    expect(root.hcl.provider!.aws![0]).toMatchObject({ allowed_account_ids: ['${var.aws_account_id}'] });
    for (const vars of [staging!, production!])
      for (const key of ['alb_certificate_arn', 'cloudfront_certificate_arn'])
        expect(String(vars[key])).toContain(`:${String(vars.aws_account_id)}:`);
  });

  it('images pushed to staging are replicated to production, which accepts exactly that', async () => {
    const [staging, production] = await Promise.all(
      ['staging', 'production'].map((env) =>
        parseHclFile(path.join(DEPLOYMENT, 'environments', `${env}.tfvars`)),
      ),
    );
    expect(staging!.ecr_replicate_to_account_ids).toEqual([production!.aws_account_id]);
    expect(production!.ecr_accept_replication_from_account_ids).toEqual([staging!.aws_account_id]);
    expect(production!.ecr_replicate_to_account_ids ?? []).toEqual([]);
    const ecr = mods.ecr!;
    expect(resources(ecr, 'aws_ecr_replication_configuration').this).toBeDefined();
    expect(ecr.text).toMatch(/Action\s*=\s*\["ecr:CreateRepository", "ecr:ReplicateImage"\]/);
  });
});

describe('the five services', () => {
  it('are the keys of the root service map', () => {
    expect(Object.keys(locals(root).service_ports as Body).sort()).toEqual([...SERVICES].sort());
  });

  it('each gets an ECR repository that scans on push, with a lifecycle policy', () => {
    const repo = resources(mods.ecr!, 'aws_ecr_repository').service!;
    expect(repo.for_each).toBe('${toset(var.services)}');
    expect(block(repo, 'image_scanning_configuration')).toMatchObject({ scan_on_push: true });
    expect(resources(mods.ecr!, 'aws_ecr_lifecycle_policy').service).toBeDefined();
    expect(root.hcl.module!.ecr![0]!.services).toBe('${keys(local.service_ports)}');
  });

  it('each gets a task definition, a service and autoscaling on CPU and ALB requests', () => {
    const ecs = mods.ecs!;
    for (const type of ['aws_ecs_task_definition', 'aws_ecs_service', 'aws_appautoscaling_target']) {
      expect(resources(ecs, type).service?.for_each).toBe('${var.services}');
    }
    expect(resources(ecs, 'aws_appautoscaling_policy').cpu!.for_each).toBe('${var.services}');
    expect(resources(ecs, 'aws_appautoscaling_policy').requests!.for_each).toBe('${var.services}');
    expect(ecs.text).toContain('ALBRequestCountPerTarget');
    expect(ecs.text).toContain('ECSServiceAverageCPUUtilization');
    expect(root.hcl.module!.ecs![0]!.services).toBe('${local.ecs_services}');
    expect(String(locals(root).ecs_services)).toMatch(/for svc, port in local\.service_ports/);
  });

  it('only the queue service scales on connections', () => {
    expect(String(locals(root).ecs_services)).toMatch(/connections_per_task\s*=\s*svc == "queue"/);
    expect(resources(mods.ecs!, 'aws_appautoscaling_policy').connections!.for_each).toMatch(
      /connections_per_task != null/,
    );
  });

  it('each gets a target group and a path listener rule on the HTTPS listener', () => {
    const tg = resources(mods.elb!, 'aws_lb_target_group').service!;
    expect(tg.for_each).toBe('${var.services}');
    // Liveness: /readyz would fail every target together on a database failover.
    expect(block(tg, 'health_check')).toMatchObject({ path: '/${each.key}/healthz' });
    const rule = resources(mods.elb!, 'aws_lb_listener_rule').service!;
    expect(rule.for_each).toBe('${var.services}');
    expect(rule.listener_arn).toBe('${aws_lb_listener.https.arn}');
    expect(block(block(rule, 'condition'), 'path_pattern')).toEqual({
      values: ['/${each.key}', '/${each.key}/*'],
    });
    const priorities = Object.values(locals(root).rule_priorities as Record<string, number>);
    expect(new Set(priorities).size).toBe(SERVICES.length);
  });
});

describe('exposure', () => {
  const ingressRules = (): { where: string; body: Body }[] =>
    [root, ...Object.values(mods)].flatMap((tf) => [
      ...Object.entries(resources(tf, 'aws_vpc_security_group_ingress_rule')).map(([n, body]) => ({
        where: n,
        body,
      })),
      ...Object.entries(resources(tf, 'aws_security_group_rule'))
        .filter(([, b]) => b.type === 'ingress')
        .map(([n, body]) => ({ where: n, body })),
      ...Object.entries(resources(tf, 'aws_security_group')).flatMap(([n, b]) =>
        ((b.ingress as Body[] | undefined) ?? []).map((body) => ({ where: `${n}.ingress`, body })),
      ),
    ]);

  it('no security group opens anything but 443 to the internet', () => {
    const rules = ingressRules();
    expect(rules.length).toBeGreaterThan(3);
    for (const { where, body } of rules) {
      const cidrs = [
        body.cidr_ipv4,
        body.cidr_ipv6,
        ...((body.cidr_blocks as string[] | undefined) ?? []),
        ...((body.ipv6_cidr_blocks as string[] | undefined) ?? []),
      ];
      if (!cidrs.some((c) => c === '0.0.0.0/0' || c === '::/0')) continue;
      const ports = `${String(body.from_port)}-${String(body.to_port)}`;
      expect({ where, ports }).toEqual({ where, ports: '443-443' });
    }
  });

  it('RDS is private, encrypted, multi-AZ by default, backed up, PostgreSQL 16', () => {
    const db = resources(mods.rds!, 'aws_db_instance').this!;
    expect(db).toMatchObject({
      engine: 'postgres',
      publicly_accessible: false,
      storage_encrypted: true,
      multi_az: '${var.multi_az}',
    });
    expect(variableDefault(mods.rds!, 'multi_az')).toBe(true);
    expect(variableDefault(mods.rds!, 'engine_version')).toBe('16');
    expect(resources(mods.rds!, 'aws_db_parameter_group').this).toMatchObject({ family: 'postgres16' });
    expect(Number(variableDefault(mods.rds!, 'backup_retention_days'))).toBeGreaterThanOrEqual(7);
  });

  it('MSK: Kafka 3.9 KRaft, three brokers, private, TLS in transit, SASL/SCRAM only', () => {
    const msk = resources(mods.msk!, 'aws_msk_cluster').this!;
    expect(String(variableDefault(mods.msk!, 'kafka_version'))).toMatch(/^3\.9\.x\.kraft$/);
    expect(variableDefault(mods.msk!, 'broker_count')).toBe(3);
    const tls = block(block(msk, 'encryption_info'), 'encryption_in_transit');
    expect(tls).toEqual({ client_broker: 'TLS', in_cluster: true });
    const auth = block(msk, 'client_authentication');
    expect(auth).toMatchObject({ unauthenticated: false });
    expect(block(auth, 'sasl')).toMatchObject({ scram: true });
    const access = block(block(block(msk, 'broker_node_group_info'), 'connectivity_info'), 'public_access');
    expect(access).toEqual({ type: 'DISABLED' });
    expect(block(msk, 'broker_node_group_info')).toMatchObject({
      client_subnets: '${var.private_subnet_ids}',
    });
  });

  it('buckets block public access; CloudFront reads them through origin access control', () => {
    expect(resources(mods.s3!, 'aws_s3_bucket_public_access_block').this).toMatchObject({
      block_public_acls: true,
      block_public_policy: true,
      ignore_public_acls: true,
      restrict_public_buckets: true,
    });
    expect(block(resources(mods.s3!, 'aws_s3_bucket_versioning').this, 'versioning_configuration')).toEqual({
      status: 'Enabled',
    });
    const dist = resources(mods.cloudfront!, 'aws_cloudfront_distribution').this!;
    const origins = dist.origin as Body[];
    for (const o of origins.filter((o) => o.origin_id !== 'alb'))
      expect(o.origin_access_control_id).toBeDefined();
    expect(
      block(
        origins.find((o) => o.origin_id === 'alb'),
        'custom_origin_config',
      ),
    ).toMatchObject({ origin_protocol_policy: 'https-only' });
  });

  it('every security group rule is in the lists the plan checks read (module.network outputs)', () => {
    const net = mods.network!;
    const listed = (local: string) => String(locals(net)[local]);
    for (const [type, local] of [
      ['aws_vpc_security_group_ingress_rule', 'ingress_rules'],
      ['aws_vpc_security_group_egress_rule', 'egress_rules'],
    ] as const)
      for (const name of Object.keys(resources(net, type)))
        expect({ rule: name, listed: listed(local).includes(`${type}.${name}`) }).toEqual({
          rule: name,
          listed: true,
        });
    expect(Object.keys(resources(net, 'aws_security_group_rule'))).toEqual([]);
  });

  it('interface endpoints sit in every private subnet; the S3 gateway serves every private route table', () => {
    // A mocked plan does not know subnet and route table ids, so this reads the source.
    const net = mods.network!;
    expect(resources(net, 'aws_vpc_endpoint').interface).toMatchObject({
      vpc_endpoint_type: 'Interface',
      subnet_ids: '${aws_subnet.private[*].id}',
      security_group_ids: ['${aws_security_group.endpoints.id}'],
      private_dns_enabled: true,
    });
    expect(resources(net, 'aws_vpc_endpoint').s3).toMatchObject({
      vpc_endpoint_type: 'Gateway',
      route_table_ids: '${aws_route_table.private[*].id}',
    });
  });

  it('the ALB listens on HTTPS only, with a TLS 1.3 policy and a WebSocket-friendly idle timeout', () => {
    const listeners = resources(mods.elb!, 'aws_lb_listener');
    expect(Object.keys(listeners)).toEqual(['https']);
    expect(listeners.https).toMatchObject({ protocol: 'HTTPS', ssl_policy: '${var.ssl_policy}' });
    expect(String(variableDefault(mods.elb!, 'ssl_policy'))).toMatch(/^ELBSecurityPolicy-TLS13-/);
    expect(Number(variableDefault(mods.elb!, 'idle_timeout_seconds'))).toBeGreaterThanOrEqual(300);
  });
});

describe('secrets', () => {
  it('no secret is in a task definition plain environment; each is a secrets reference', () => {
    const l = locals(root);
    const plain = [
      ...Object.keys(l.common_environment as Body),
      ...Object.values(l.service_environment as Record<string, Body>).flatMap((e) => Object.keys(e)),
    ];
    expect(plain.filter((k) => SECRET_VARS.includes(k))).toEqual([]);
    const secretNames = [
      ...Object.keys(l.common_secrets as Body),
      // Each service's own credentials (`for svc in … : svc => { DATABASE_URL = … }`).
      ...[...JSON.stringify(l.own_secrets).matchAll(/\b([A-Z][A-Z0-9_]+)\b/g)].map((m) => m[1]!),
      ...Object.values(l.app_secret_keys as Record<string, string[]>).flat(),
    ];
    for (const s of SECRET_VARS.filter((s) => s !== 'POSTGRES_PASSWORD')) expect(secretNames).toContain(s);
    // The container definition takes environment only from the service's plain map.
    expect(mods.ecs!.text).toMatch(/environment = \[for k in sort\(keys\(each\.value\.environment\)\)/);
    expect(mods.ecs!.text).toMatch(/secrets = \[for k in sort\(keys\(each\.value\.secrets\)\)/);
  });

  it("each service's DATABASE_URL is its own role's secret, and only the bootstrap task names the master user's (issue 17.13)", () => {
    const l = locals(root);
    expect(Object.keys(l.common_secrets as Body)).not.toContain('DATABASE_URL');
    // `own_secrets = { for svc in … : svc => { DATABASE_URL = "${module.rds.service_database_secret_arns[svc]}:url::" } }`
    expect(JSON.stringify(l.own_secrets)).toContain('module.rds.service_database_secret_arns[svc]}:url::');
    expect(root.text).toMatch(/secrets = merge\(local\.common_secrets, local\.own_secrets\[svc\],/);
    const masterUsers = root.text
      .split('\n')
      .filter((line) => line.includes('module.rds.database_url_secret_arn'));
    expect(
      masterUsers.every((line) =>
        /DATABASE_URL = module\.rds\.database_url_secret_arn|resources\s*=/.test(line),
      ),
    ).toBe(true);
    expect(mods.rds!.text).toMatch(/data "aws_secretsmanager_random_password" "service"/);
  });

  it('no secret value is committed anywhere under deployment/', () => {
    const walk = (d: string): string[] =>
      readdirSync(d, { withFileTypes: true }).flatMap((e) =>
        e.name === 'node_modules' || e.name === '.terraform'
          ? []
          : e.isDirectory()
            ? walk(path.join(d, e.name))
            : [path.join(d, e.name)],
      );
    for (const file of walk(DEPLOYMENT).filter((f) => /\.(tf|tfvars|tfbackend|json)$/.test(f))) {
      const src = readFileSync(file, 'utf8');
      expect({
        file,
        hit: /sk_live_|rk_live_|whsec_[A-Za-z0-9]{8}|-----BEGIN [A-Z ]*PRIVATE KEY|"d"\s*:\s*"[A-Za-z0-9_-]{40,}"/.test(
          src,
        ),
      }).toEqual({ file, hit: false });
    }
  });
});

describe('Kafka topics', () => {
  it('are left to the services (created at start-up from libs/common): no provider outside hashicorp/aws', () => {
    expect(existsSync(path.join(DEPLOYMENT, 'modules', 'kafka_topics'))).toBe(false);
    const providers = Object.keys(
      (root.hcl.terraform?.[0]?.required_providers as Body[] | undefined)?.[0] ?? {},
    );
    expect(providers).toEqual(['aws']);
    for (const tf of [root, ...Object.values(mods)]) expect(tf.text).not.toMatch(/"random_|\bkafka_topic\b/);
  });
});

describe('api_gateway', () => {
  it('is an optional module, off by default, with the reason written down', () => {
    expect(existsSync(path.join(DEPLOYMENT, 'modules', 'api_gateway'))).toBe(true);
    expect(variableDefault(root, 'api_gateway_enabled')).toBe(false);
    expect(root.hcl.module!.api_gateway![0]!.count).toBe('${var.api_gateway_enabled ? 1 : 0}');
    expect(readFileSync(path.join(DEPLOYMENT, 'main.tf'), 'utf8')).toMatch(
      /API Gateway is an optional layer/,
    );
  });
});
