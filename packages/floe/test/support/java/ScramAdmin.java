// Kafka's Admin client calling AlterUserScramCredentials and DescribeUserScramCredentials, for
// tests (Kafka's ConfigCommand, which does the same, lives in Kafka's server jar, which the test
// environment does not install). Run as a single source file:
//   java -cp <kafka client classpath> ScramAdmin.java <client properties> alter <user> <mechanism> <iterations> <password>
//   java -cp <kafka client classpath> ScramAdmin.java <client properties> describe [<user> ...]
// Prints one line per user: "ok <user>", "error <user> <exception>", or "<user> <mechanism>=<iterations> ...".
import java.io.FileReader;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ScramCredentialInfo;
import org.apache.kafka.clients.admin.ScramMechanism;
import org.apache.kafka.clients.admin.UserScramCredentialUpsertion;
import org.apache.kafka.clients.admin.UserScramCredentialsDescription;

public class ScramAdmin {
  public static void main(String[] args) throws Exception {
    Properties props = new Properties();
    try (FileReader r = new FileReader(args[0])) {
      props.load(r);
    }
    try (Admin admin = Admin.create(props)) {
      if (args[1].equals("alter")) {
        String user = args[2];
        ScramMechanism mechanism = ScramMechanism.fromMechanismName(args[3]);
        ScramCredentialInfo info = new ScramCredentialInfo(mechanism, Integer.parseInt(args[4]));
        try {
          admin.alterUserScramCredentials(List.of(new UserScramCredentialUpsertion(user, info, args[5]))).all().get();
          System.out.println("ok " + user);
        } catch (ExecutionException e) {
          System.out.println("error " + user + " " + e.getCause().getClass().getSimpleName() + ": " + e.getCause().getMessage());
        }
      } else {
        List<String> users = Arrays.asList(args).subList(2, args.length);
        Map<String, UserScramCredentialsDescription> all = (users.isEmpty()
            ? admin.describeUserScramCredentials()
            : admin.describeUserScramCredentials(users)).all().get();
        for (UserScramCredentialsDescription d : all.values()) {
          StringBuilder line = new StringBuilder(d.name());
          for (ScramCredentialInfo c : d.credentialInfos()) line.append(' ').append(c.mechanism().mechanismName()).append('=').append(c.iterations());
          System.out.println(line);
        }
      }
    }
  }
}
