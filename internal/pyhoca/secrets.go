package pyhoca

// secretDests are the options whose values are secrets: other users of
// the computer can read a process's command line, so the x2go command
// takes them out of its own at once (see SplitSecrets).
var secretDests = map[string]bool{"password": true, "ssh_passphrase": true, "broker_password": true}

// SplitSecrets takes the values of --password, --ssh-passphrase and
// --broker-password (in any spelling argparse accepts: --opt VALUE,
// --opt=VALUE, an unambiguous prefix) out of args. It returns args
// without them and the values by dest ("password", "ssh_passphrase",
// "broker_password"; the last one given wins, as in Parse). Parse of rest
// then sees everything else as before; ApplySecrets puts the values back.
//
// A word that argparse would not take as such an option's value is left
// alone (--password -L is an error Parse reports), and so is everything
// when the command line holds an ambiguous prefix, which Parse refuses
// before looking at any value.
func SplitSecrets(args []string) (rest []string, secrets map[string]string) {
	kinds := make([]classified, len(args))
	dashdash := false
	for i, a := range args {
		switch {
		case dashdash:
			kinds[i] = classified{kind: kindPositional}
		case a == "--":
			kinds[i] = classified{kind: kindDashDash}
			dashdash = true
		default:
			c, err := classify(a)
			if err != nil {
				return args, nil
			}
			kinds[i] = c
		}
	}
	rest = make([]string, 0, len(args))
	for i := 0; i < len(args); i++ {
		c := kinds[i]
		if c.kind != kindOption || !secretDests[c.spec.dest] {
			rest = append(rest, args[i])
			continue
		}
		switch {
		case c.explicit != nil:
			secrets = setSecret(secrets, c.spec.dest, *c.explicit)
		case i+1 < len(args) && kinds[i+1].kind == kindPositional:
			secrets = setSecret(secrets, c.spec.dest, args[i+1])
			i++
		default:
			rest = append(rest, args[i])
		}
	}
	return rest, secrets
}

func setSecret(m map[string]string, k, v string) map[string]string {
	if m == nil {
		m = map[string]string{}
	}
	m[k] = v
	return m
}

// ApplySecrets sets the values SplitSecrets took out of the command line,
// as Parse would have set them.
func (o *Options) ApplySecrets(secrets map[string]string) {
	for dest, v := range secrets {
		switch dest {
		case "password":
			o.Password = v
		case "ssh_passphrase":
			o.SSHPassphrase = v
		case "broker_password":
			o.BrokerPassword = v
		default:
			continue
		}
		o.Set[dest] = true
	}
}
