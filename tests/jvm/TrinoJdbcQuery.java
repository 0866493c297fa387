// Runs one SQL statement through the Trino JDBC driver and prints the result as TSV (a header line of
// column labels, then one line per row; SQL NULL as \N; tabs, newlines and backslashes escaped).
// Java 17+ single-file source launch, the driver jar on the class path:
//   java -cp ~/.cache/govlake/maven/io/trino/trino-jdbc/476/trino-jdbc-476.jar tests/jvm/TrinoJdbcQuery.java \
//       jdbc:trino://127.0.0.1:8085/lakehouse/gold govlake "SELECT * FROM dim_district"
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.Statement;
import java.util.Properties;

public class TrinoJdbcQuery {
    public static void main(String[] args) throws Exception {
        if (args.length != 3) {
            System.err.println("usage: TrinoJdbcQuery <jdbc-url> <user> <sql>");
            System.exit(2);
        }
        Properties props = new Properties();
        props.setProperty("user", args[1]);
        StringBuilder out = new StringBuilder();
        try (Connection conn = DriverManager.getConnection(args[0], props);
             Statement st = conn.createStatement();
             ResultSet rs = st.executeQuery(args[2])) {
            ResultSetMetaData md = rs.getMetaData();
            int n = md.getColumnCount();
            for (int i = 1; i <= n; i++) {
                out.append(i > 1 ? "\t" : "").append(escape(md.getColumnLabel(i)));
            }
            out.append('\n');
            while (rs.next()) {
                for (int i = 1; i <= n; i++) {
                    String v = rs.getString(i);
                    out.append(i > 1 ? "\t" : "").append(v == null ? "\\N" : escape(v));
                }
                out.append('\n');
            }
        }
        System.out.print(out);
        System.out.flush();
    }

    private static String escape(String s) {
        return s.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r");
    }
}
