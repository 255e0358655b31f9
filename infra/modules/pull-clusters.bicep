// Pull mode (docs/pull-mode.md): per pulled cluster, its report queue `gateway-guard-reports-<name>` and
// the least rights of its agent's identity: add messages to that one queue (Storage Queue Data Message
// Sender), and read the secrets of the gateways it serves (Key Vault Secrets User, each secret alone).
// The Function App reads and deletes the reports through its Storage Queue Data Contributor role on the
// account (role-assignments.bicep) and keeps the book of reports in the `gateway-guard` container.
// A secret must exist before its role can be scoped to it: add a cluster after the gateway's first rotation.

@description('Storage account of the service (its queues).')
param storageAccountName string

@description('Key Vault that holds the gateways\' tokens.')
param keyVaultName string

@description('Each pulled cluster: name (as the agent reports, a DNS label of at most 41 characters), agentPrincipalId (object id of the agent\'s identity), secretNames (its gateways\' Key Vault secrets).')
param pullClusters array

var roles = {
  storageQueueDataMessageSender: 'c6a89b2d-59bc-44d0-9896-0f6e12d7b80a'
  keyVaultSecretsUser: '4633458b-17de-408a-b874-0445c86b69e6'
}

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
  resource queueServices 'queueServices' existing = { name: 'default' }
}

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' existing = {
  name: keyVaultName
}

resource reportQueues 'Microsoft.Storage/storageAccounts/queueServices/queues@2023-05-01' = [
  for cluster in pullClusters: {
    parent: storage::queueServices
    name: 'gateway-guard-reports-${cluster.name}'
  }
]

resource agentSenders 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for (cluster, i) in pullClusters: {
    name: guid(reportQueues[i].id, cluster.agentPrincipalId, roles.storageQueueDataMessageSender)
    scope: reportQueues[i]
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageQueueDataMessageSender)
      principalId: cluster.agentPrincipalId
      principalType: 'ServicePrincipal'
    }
  }
]

var secretGrants = flatten(map(pullClusters, cluster => map(cluster.secretNames, secretName => {
  principalId: cluster.agentPrincipalId
  secretName: secretName
})))

resource gatewaySecrets 'Microsoft.KeyVault/vaults/secrets@2023-07-01' existing = [
  for grant in secretGrants: {
    parent: vault
    name: grant.secretName
  }
]

resource agentSecretReaders 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for (grant, i) in secretGrants: {
    name: guid(gatewaySecrets[i].id, grant.principalId, roles.keyVaultSecretsUser)
    scope: gatewaySecrets[i]
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.keyVaultSecretsUser)
      principalId: grant.principalId
      principalType: 'ServicePrincipal'
    }
  }
]
