// Kafka's server jars (Apache Kafka from Maven Central, infra/bench/kafka-server/pom.xml),
// resolved with scripts/lib/maven.sh into a cache keyed by the pom's hash. Used by the benchmark
// (a Kafka broker to compare with) and by tests that run Kafka tools living in the server jar
// (kafka.admin.ConfigCommand).
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = fileURLToPath(new URL('../../../../', import.meta.url));

/** The directory of the jars, downloaded on first use. */
export function kafkaLibDir(): string {
  const pom = join(REPO, 'infra/bench/kafka-server/pom.xml');
  const script = `source "${join(REPO, 'scripts/lib/maven.sh')}" && d=$(keyed_dir kafka-server "${pom}")/lib && maven_resolve "${pom}" "$d" && echo "$d"`;
  return execFileSync('bash', ['-c', script], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
}

/** The jars as a Java classpath (the JVM expands the wildcard). */
export function kafkaServerClasspath(): string {
  return `${kafkaLibDir()}/*`;
}
