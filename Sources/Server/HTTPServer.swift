import Hummingbird
import HummingbirdTLS
import MCP
import Prometheus
